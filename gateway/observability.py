"""Logs, traces and metrics for ``tavle serve``, set up before uvicorn starts (docs/operations.md).

In order: the log format and level (``gateway.logs``), so that everything after is logged as
configured; tracing (``gateway.telemetry``), so that a wrong ``OTEL_*`` name stops the start
with its message; the metrics listener when ``TAVLE_METRICS_PORT`` is set
(``gateway.metrics_export``), before any worker process exists, so every worker writes its
values where the listener reads them. Worker processes repeat the logging (uvicorn's
``log_config``) and the tracing (``create_app``) for themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config.settings import Settings
from gateway.logs import configure_logging, uvicorn_log_options
from gateway.telemetry import TracingConfigError, configure_tracing

if TYPE_CHECKING:
    from gateway.metrics_export import MetricsListener

__all__ = ["ServeObservability", "StartupError"]


class StartupError(RuntimeError):
    """Observability cannot be set up as configured; the message names the setting."""


class ServeObservability:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._listener: MetricsListener | None = None

    @classmethod
    def start(cls, settings: Settings) -> ServeObservability:
        """Raises :class:`StartupError` for an ``OTEL_*`` name that does not exist or a metrics
        port that cannot be opened."""
        from gateway.metrics_export import MetricsListener, MetricsListenerError

        observability = cls(settings)
        configure_logging(settings)
        try:
            configure_tracing()
            if settings.metrics_port is not None:
                observability._listener = MetricsListener(settings)
        except (TracingConfigError, MetricsListenerError) as exc:
            raise StartupError(str(exc)) from None
        return observability

    def uvicorn_options(self) -> dict[str, Any]:
        """``log_config``, ``log_level`` and ``access_log`` for ``uvicorn.run``."""
        return uvicorn_log_options(self.settings)

    def close(self) -> None:
        """Stop the metrics listener and remove its folder; idempotent."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
