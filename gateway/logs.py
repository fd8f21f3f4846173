"""Log output of ``tavle serve``: one JSON object per line (the default) or text for humans.

Every line carries the time, level, logger and message; a line written while a request is being
served also carries the request id and trace id, so the request's own line (``tavle.request``,
written by ``gateway.request_observer``) and anything logged on its behalf can be joined. Fields
passed as ``extra={"fields": {...}}`` become keys of their own. Exceptions are written with their
traceback and type, never their message. The configuration is a
``logging.config.dictConfig`` dictionary, which uvicorn applies in every worker process.
"""

from __future__ import annotations

import json
import logging
import logging.config
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from opentelemetry import trace

from config.settings import Settings
from gateway.request_info import current_request

#: The key of ``extra`` whose dictionary becomes fields of the line.
FIELDS = "fields"


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def _exception_lines(exception: traceback.TracebackException) -> Iterator[str]:
    if exception.__cause__ is not None:
        yield from _exception_lines(exception.__cause__)
        yield "\nThe above exception was the direct cause of the following exception:\n\n"
    elif exception.__context__ is not None and not exception.__suppress_context__:
        yield from _exception_lines(exception.__context__)
        yield "\nDuring handling of the above exception, another exception occurred:\n\n"
    if exception.stack:
        yield "Traceback (most recent call last):\n"
        yield from exception.stack.format()
    kind = exception.exc_type
    if kind is None:
        yield "(unknown exception)\n"
    elif kind.__module__ == "builtins":
        yield f"{kind.__qualname__}\n"
    else:
        yield f"{kind.__module__}.{kind.__qualname__}\n"


def exception_text(exc_info: ExcInfo) -> str:
    """The traceback of ``exc_info`` with each exception's type but not its message: messages
    can quote personal data (a database error's detail, a value that failed to parse)."""
    kind, value, tb = exc_info
    if kind is None or value is None:
        return ""
    return "".join(_exception_lines(traceback.TracebackException(kind, value, tb))).rstrip()


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _correlation() -> dict[str, str]:
    """The request id and trace id of the code that is logging, when it has them."""
    found: dict[str, str] = {}
    request = current_request()
    if request is not None:
        found["request_id"] = request.request_id
        if request.trace_id is not None:
            found["trace_id"] = request.trace_id
    if "trace_id" not in found:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            found["trace_id"] = format(span_context.trace_id, "032x")
    return found


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, correlation ids, fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_correlation())
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = exception_text(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message key=value ...`` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        correlation = _correlation()
        parts = [_timestamp(record), record.levelname, record.name]
        if "request_id" in correlation:
            parts.append(f"[{correlation['request_id']}]")
        parts.append(record.getMessage())
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            parts.extend(f"{key}={value}" for key, value in fields.items() if value is not None)
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + exception_text(record.exc_info)
        return text


def logging_config(settings: Settings) -> dict[str, Any]:
    """The ``dictConfig`` for ``settings.log_format`` and ``settings.log_level``: everything,
    uvicorn's own loggers included, goes through one handler on stderr."""
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "gateway.logs.JsonFormatter"},
            "text": {"()": "gateway.logs.TextFormatter"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": settings.log_format.lower(),
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's defaults give its loggers handlers of their own; here they propagate.
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": True, "level": level},
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(settings: Settings) -> None:
    """Apply :func:`logging_config` in this process."""
    logging.config.dictConfig(logging_config(settings))


def uvicorn_log_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``: the same logging in every worker process, and
    uvicorn's access log only when ``TAVLE_ACCESS_LOG`` asks for it (the request lines of
    ``tavle.request`` replace it)."""
    return {
        "log_config": logging_config(settings),
        "log_level": None,
        "access_log": settings.access_log,
    }
