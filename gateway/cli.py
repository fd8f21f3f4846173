"""The ``tavle`` command line (docs/interfaces.md): serve, import-roster, roster, token,
export-schema, explain, seed-demo, audit verify, files sweep, privacy reapply-erasures."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from config.settings import Settings
from gateway.demo_data import DEMO_ROSTER

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return Settings(**overrides)


#: The app factory every server process imports (uvicorn needs an import string for workers).
APP_FACTORY = "gateway.app:create_app_from_environment"


def _exit_after_shutdown(signum: int, frame: FrameType | None) -> None:
    """SIGTERM outside uvicorn's own handling: exit with status 0.

    uvicorn handles SIGTERM while it serves; after its graceful shutdown it raises the signal
    again under the handler found before it started, so that the process ends "by" the signal.
    The shutdown is complete then, and stopping as asked is a success, so this handler ends the
    process with 0 instead (also for a SIGTERM during startup).
    """
    raise SystemExit(0)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.demo import ensure_demo
    from gateway.observability import ServeObservability, StartupError
    from gateway.persisted_queries import ManifestError, PersistedQueries
    from store.db import is_sqlite, migrate

    settings = _settings(args)
    url = settings.resolved_database_url()
    if args.workers < 1:
        print("serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and is_sqlite(url):
        print(
            f"serve: --workers {args.workers} needs PostgreSQL; SQLite is served by one process "
            "(set DATABASE_URL or --database-url to a PostgreSQL database, or leave out --workers)",
            file=sys.stderr,
        )
        return 2
    try:
        # The safelist's manifest is read by every server process; a broken one stops it here.
        PersistedQueries.from_settings(settings)
    except ManifestError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    try:
        observability = ServeObservability.start(settings)
    except StartupError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    # The schema upgrade and the demo run once, here, before any server process starts.
    embedded = settings.database_url is None
    if embedded or args.demo:
        asyncio.run(ensure_demo(settings, DEMO_ROSTER))
    else:
        asyncio.run(migrate(url))
    # Server processes build their settings from the environment (they are new interpreters
    # when there are workers): the one setting the command line adds goes there too.
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    # Logged, not printed: in JSON mode every line of the server's output is a JSON object.
    serve_log = logging.getLogger("tavle.serve")
    serve_log.info("Tavle on http://%s:%d/graphql", args.host, args.port)
    if settings.dev_auth_enabled:
        serve_log.info("Development login: ./tavle token <username>  (see README)")
    signal.signal(signal.SIGTERM, _exit_after_shutdown)
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            # X-Forwarded-For is honoured only from TAVLE_TRUSTED_PROXIES, by the app itself
            # (gateway/http/stack.py); uvicorn's own handling would trust 127.0.0.1.
            proxy_headers=False,
            # A WebSocket message (a subscription document) is bounded like a request body.
            ws_max_size=settings.max_body_bytes,
            **observability.uvicorn_options(),
        )
    finally:
        observability.close()
    return 0


T = TypeVar("T")


def _on_database(url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Bring the database at ``url`` up to date, run ``work`` on an engine, and close it."""
    from store.db import make_engine, migrate

    async def run() -> T:
        await migrate(url)
        engine = make_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _cli_actor() -> str:
    """Who ran a roster command, for the import record: ``cli:<operating-system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _progress() -> Callable[[str], None] | None:
    """Progress lines on a terminal (stderr), nothing when output goes to a file or a pipe."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    return show


def cmd_import_roster(args: argparse.Namespace) -> int:
    from gateway.keyfile import pseudonym_key
    from gateway.telemetry import TracingConfigError, configure_tracing
    from roster import RefusedError, RosterError, import_roster

    settings = _settings(args)
    try:
        configure_tracing()  # the run's trace, when OTEL_TRACES_EXPORTER asks for one
    except TracingConfigError as exc:
        print(f"import-roster: {exc}", file=sys.stderr)
        return 2
    url = settings.resolved_database_url()

    async def run(engine: AsyncEngine) -> str:
        report = await import_roster(
            engine,
            Path(args.directory),
            identity_key=pseudonym_key(settings),
            allow_mass_restriction=args.allow_mass_restriction,
            allow_mass_archive=args.allow_mass_archive,
            dry_run=args.dry_run,
            actor=_cli_actor(),
            progress=_progress(),
        )
        return report.render()

    try:
        print(_on_database(url, run))
    except RefusedError as exc:
        print(exc.report.render())
        print(f"import-roster: {exc}", file=sys.stderr)
        print("Nothing was imported; the database is unchanged.", file=sys.stderr)
        return 1
    except RosterError as exc:
        print(f"import-roster: {exc}", file=sys.stderr)
        print("Nothing was imported; the database is unchanged.", file=sys.stderr)
        return 1
    return 0


def cmd_roster_archive_ended(args: argparse.Namespace) -> int:
    from roster.maintenance import archive_ended

    url = _settings(args).resolved_database_url()
    as_of = args.as_of or datetime.now(UTC).date()

    archived = _on_database(url, lambda engine: archive_ended(engine, as_of, _cli_actor()))
    print(f"Archived {len(archived)} course(s) whose terms all ended before {as_of.isoformat()}")
    for sourced_id in archived:
        print(f"  {sourced_id}")
    return 0


def cmd_roster_allow_recreate(args: argparse.Namespace) -> int:
    from gateway.keyfile import pseudonym_key
    from roster import RosterError
    from roster.maintenance import allow_recreate

    settings = _settings(args)
    url = settings.resolved_database_url()

    def run(engine: AsyncEngine) -> Awaitable[bool]:
        return allow_recreate(engine, args.sourced_id, args.justification, pseudonym_key(settings))

    try:
        matched = _on_database(url, run)
    except RosterError as exc:
        print(f"roster allow-recreate: {exc.reason}", file=sys.stderr)
        return 1
    print(
        f"The next import may create '{args.sourced_id}' again"
        + (
            ""
            if matched
            else " (no erased person had this sourcedId; the block may have come "
            "from a matching username or national id)"
        )
    )
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from gateway.auth import AuthenticationError, Authenticator
    from resolvers.viewer import find_person_id

    settings = _settings(args)
    url = settings.resolved_database_url()

    if _on_database(url, lambda engine: find_person_id(engine, args.user)) is None:
        print(f"token: no active person with sourcedId or username '{args.user}'", file=sys.stderr)
        return 1
    try:
        token = Authenticator.from_settings(settings).mint_development_token(args.user)
    except AuthenticationError as exc:
        print(f"token: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from authz.policy import Policy
    from schema.build import build_schema

    print(build_schema(Policy()).as_str())
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from gateway.explain import explain

    settings = _settings(args)
    try:
        text, allowed = asyncio.run(explain(settings, args.viewer, args.object, args.field))
    except LookupError as exc:
        print(f"explain: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0 if allowed else 1


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from gateway.demo import ensure_demo

    settings = _settings(args)
    created = asyncio.run(ensure_demo(settings, DEMO_ROSTER))
    print("demo school created" if created else "demo school already present; nothing changed")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from store.audit_verify import Verdict, verify_chain

    url = _settings(args).resolved_database_url()

    verdict: Verdict = _on_database(
        url, lambda engine: verify_chain(engine, batch_size=args.batch_size)
    )
    print(verdict.render(), file=sys.stdout if verdict.ok else sys.stderr)
    return 0 if verdict.ok else 1


def cmd_files_sweep(args: argparse.Namespace) -> int:
    from store.filestore import storage_of
    from store.filestore.deletions import drain, sweep

    settings = _settings(args)
    storage = storage_of(settings)

    async def both(engine: AsyncEngine) -> tuple[int, int]:
        return await drain(engine, storage), await sweep(engine, storage)

    drained, swept = _on_database(settings.resolved_database_url(), both)
    print(f"Deleted the bytes of {drained} deleted file(s) and {swept} unreferenced file(s)")
    return 0


def cmd_privacy_reapply_erasures(args: argparse.Namespace) -> int:
    from gateway.keyfile import pseudonym_key
    from resolvers.services.reapply_erasures import ReapplySummary, reapply_erasures
    from store.filestore import storage_of
    from store.filestore.deletions import drain

    settings = _settings(args)
    ledger = Path(args.ledger) if args.ledger else settings.erasure_ledger_path

    async def run(engine: AsyncEngine) -> ReapplySummary:
        summary = await reapply_erasures(engine, ledger, pseudonym_key(settings))
        # The bytes of the files the re-applied erasures deleted.
        await drain(engine, storage_of(settings))
        return summary

    try:
        summary = _on_database(settings.resolved_database_url(), run)
    except OSError as exc:
        print(f"privacy reapply-erasures: the erasure ledger: {exc}", file=sys.stderr)
        return 1
    print(summary.render())
    if summary.ambiguous:
        print(
            "privacy reapply-erasures: some entries match more than one person; "
            "nobody was erased for them (see docs/privacy-actions.md)",
            file=sys.stderr,
        )
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tavle", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--database-url", help="SQLAlchemy URL (default: DATABASE_URL or embedded SQLite)"
        )
        return p

    serve = with_db(sub.add_parser("serve", help="run the gateway under uvicorn"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load the demo school into the database")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (default 1; more than one needs PostgreSQL)",
    )
    serve.set_defaults(func=cmd_serve)

    imp = with_db(
        sub.add_parser("import-roster", help="import a OneRoster 1.2 CSV package (folder or zip)")
    )
    imp.add_argument("directory", metavar="PACKAGE", help="a OneRoster CSV folder or .zip file")
    imp.add_argument(
        "--allow-mass-restriction",
        action="store_true",
        help="accept a users.csv that leaves out more than a fifth of the active people",
    )
    imp.add_argument(
        "--allow-mass-archive",
        action="store_true",
        help="accept a bulk file that archives more than a fifth of a school's courses, or a "
        "whole school (the school year's rollover)",
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="print the report of what would change; write nothing",
    )
    imp.set_defaults(func=cmd_import_roster)

    ros = sub.add_parser("roster", help="roster upkeep between imports")
    ros_sub = ros.add_subparsers(dest="roster_command", required=True)
    ended = with_db(
        ros_sub.add_parser("archive-ended", help="archive courses whose terms have all ended")
    )
    ended.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="the day to compare term end dates with (YYYY-MM-DD; default today, UTC)",
    )
    ended.set_defaults(func=cmd_roster_archive_ended)
    recreate = with_db(
        ros_sub.add_parser(
            "allow-recreate", help="let the next import create a person who matches an erased one"
        )
    )
    recreate.add_argument("sourced_id", metavar="SOURCEDID")
    recreate.add_argument("--justification", required=True, help="why (goes to the audit log)")
    recreate.set_defaults(func=cmd_roster_allow_recreate)

    tok = with_db(sub.add_parser("token", help="print a development bearer token"))
    tok.add_argument("user", help="sourcedId or username")
    tok.set_defaults(func=cmd_token)

    exp = sub.add_parser("export-schema", help="print the GraphQL SDL")
    exp.set_defaults(func=cmd_export_schema)

    why = with_db(sub.add_parser("explain", help="why a viewer may or may not read a field"))
    why.add_argument("viewer", help="the viewer's sourcedId or username")
    why.add_argument("object", help="the object's global id")
    why.add_argument("field", help="a field name (email) or coordinate (User.email)")
    why.set_defaults(func=cmd_explain)

    seed = with_db(sub.add_parser("seed-demo", help="load the demo school and its activity"))
    seed.set_defaults(func=cmd_seed_demo)

    aud = sub.add_parser("audit", help="audit log tools")
    aud_sub = aud.add_subparsers(dest="audit_command", required=True)
    verify = with_db(aud_sub.add_parser("verify", help="check the audit log's hash chain"))
    verify.add_argument(
        "--batch-size", type=int, default=1000, help="entries read per query (default 1000)"
    )
    verify.set_defaults(func=cmd_audit_verify)

    fil = sub.add_parser("files", help="uploaded files' storage")
    fil_sub = fil.add_subparsers(dest="files_command", required=True)
    swp = with_db(
        fil_sub.add_parser(
            "sweep",
            help="delete queued bytes of deleted files, and bytes no file refers to (run while "
            "no upload is in flight)",
        )
    )
    swp.set_defaults(func=cmd_files_sweep)

    prv = sub.add_parser("privacy", help="privacy upkeep")
    prv_sub = prv.add_subparsers(dest="privacy_command", required=True)
    reapply = with_db(
        prv_sub.add_parser(
            "reapply-erasures",
            help="after restoring a backup: erase again everyone in the erasure ledger the "
            "restored database has brought back",
        )
    )
    reapply.add_argument(
        "--ledger", help="the erasure ledger file (default: TAVLE_ERASURE_LEDGER's file)"
    )
    reapply.set_defaults(func=cmd_privacy_reapply_erasures)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ValidationError as error:
        # A bad setting (TAVLE_OIDC_ISSUERS, say): what and where, without a traceback.
        print(f"tavle: invalid settings: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
