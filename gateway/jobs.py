"""The background job worker that runs inside each gateway process.

Jobs are ``privacy_requests`` rows (``store.jobs``); every gateway process may run one worker and
the database hands out the jobs, so several processes on several hosts share one queue. A job
interrupted by a crash is claimed again once its lease runs out.

A handler receives ``(engine, request id, worker id)``, does the work and calls
``store.jobs.finish`` in the same transaction as its last writes. The worker only claims jobs,
keeps their leases alive while the handler runs, and records failures. Logs name the request id
and an exception's type, never its message: messages can quote personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from pathlib import Path

from opentelemetry.trace import Status, StatusCode
from sqlalchemy.ext.asyncio import AsyncEngine

from config import clock
from config.settings import Settings
from gateway.metrics import observe_job
from gateway.telemetry import instrument_engine, job_span
from resolvers.services import data_requests
from resolvers.services.retention_notice import notify_expired_retention
from roster.maintenance import archive_ended
from store import access_log, jobs
from store.db import is_sqlite, make_engine
from store.erasure_ledger import write_pending
from store.filestore import FileStorage, storage_of
from store.filestore.deletions import drain
from store.privacy.retention import Duration, parse_duration
from store.tables import PrivacyAction

log = logging.getLogger("tavle.jobs")

Handler = Callable[[AsyncEngine, int, str], Awaitable[None]]
"""Runs one job: ``(engine, privacy request id, worker id)``."""

#: A job claimed more often than this without finishing (it keeps killing its worker, or the
#: worker keeps losing its lease) is marked FAILED instead of being run again.
MAX_ATTEMPTS = 5
#: How often the worker deletes expired export files.
SWEEP_SECONDS = 60.0


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_worker_id() -> str:
    """``host:pid:random``: unique per worker, and says where a job ran when one goes wrong."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


class JobWorker:
    """Claims and runs jobs until stopped.

    ``handlers`` is read on every poll, not copied: handlers registered after the worker started
    (``AppState.job_handlers``) are picked up, and only actions with a handler are claimed.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        handlers: Mapping[PrivacyAction, Handler],
        *,
        export_dir: Path,
        poll_seconds: float = 1.0,
        lease_seconds: float = 300.0,
        worker_id: str | None = None,
        file_storage: FileStorage | None = None,
        erasure_ledger: Path | None = None,
        retention_file: Path | None = None,
        access_log_retention: Duration | None = None,
    ) -> None:
        self.engine = engine
        #: the retention registry (``TAVLE_RETENTION_FILE``; None: the shipped one), for the
        #: daily notice that the recycle bin can be emptied
        self.retention_file = retention_file
        #: how long the staff access log keeps entries (``TAVLE_ACCESS_LOG_RETENTION``); the
        #: daily run deletes older ones (None: kept)
        self.access_log_retention = access_log_retention
        #: where completed erasures' ledger entries go (``store.erasure_ledger``); each sweep
        #: writes those still missing
        self.erasure_ledger = erasure_ledger
        #: where deleted files' bytes are removed from (``store.filestore.deletions``)
        self.file_storage = file_storage
        self.handlers = handlers
        self.export_dir = export_dir
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.worker_id = worker_id or new_worker_id()

    @classmethod
    def from_settings(
        cls, engine: AsyncEngine, settings: Settings, handlers: Mapping[PrivacyAction, Handler]
    ) -> JobWorker:
        return cls(
            engine,
            handlers,
            export_dir=settings.export_dir,
            poll_seconds=settings.job_poll_seconds,
            lease_seconds=settings.job_lease_seconds,
            file_storage=storage_of(settings),
            erasure_ledger=settings.erasure_ledger_path,
            retention_file=settings.retention_file,
            access_log_retention=parse_duration(settings.access_log_retention),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for jobs until ``stop`` is set; a job that was claimed runs to its end.

        Database errors while polling are logged and retried on the next poll: the worker
        outlives a database restart.
        """
        log.info("job worker %s started", self.worker_id)
        try:
            recovered = await self.recover_orphans()
            if recovered:
                log.info("requeued %d job(s) left RUNNING by a dead process", recovered)
        except Exception as exc:  # recovery is an optimisation: the lease covers it anyway
            log.warning("job worker: orphan recovery failed (%s)", type(exc).__name__)
        next_sweep = time.monotonic()
        daily_done_for: date | None = None
        while not stop.is_set():
            ran = False
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_SECONDS
                    await self.sweep()
                if daily_done_for != clock.today():
                    # once per calendar day of the clock (config.clock), at start and after
                    # midnight UTC; every worker runs it, and the upkeep is idempotent
                    daily_done_for = clock.today()
                    await self.daily()
                ran = await self.run_once()
            except Exception as exc:  # the loop must survive anything; the next poll retries
                log.warning("job worker: polling failed (%s)", type(exc).__name__)
            if ran:
                continue  # there may be more work queued: look again at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
        log.info("job worker %s stopped", self.worker_id)

    async def recover_orphans(self) -> int:
        """Requeue jobs RUNNING under a worker of this host whose process is gone.

        A killed gateway leaves its job RUNNING with a lease that would hold it for up to
        ``job_lease_seconds``; on the next start, a worker on the same host can tell that the
        owner's pid is dead and give the job back at once. Jobs of other hosts, or of live
        processes, are left to their leases.
        """
        host = self.worker_id.split(":", 1)[0]
        requeued = 0
        for request_id, worker in await jobs.running_workers(self.engine):
            owner_host, _, rest = worker.partition(":")
            pid_text = rest.split(":", 1)[0]
            if owner_host != host or not pid_text.isdigit() or _process_alive(int(pid_text)):
                continue
            if await jobs.release(self.engine, request_id, worker):
                requeued += 1
        return requeued

    async def sweep(self) -> int:
        expired = await jobs.expire_exports(self.engine, self.export_dir, clock.now())
        if expired:
            log.info("deleted %d expired export file(s)", expired)
        if self.file_storage is not None:
            # Bytes of files deleted by a transaction whose process stopped before removing them.
            drained = await drain(self.engine, self.file_storage)
            if drained:
                log.info("deleted the bytes of %d deleted file(s)", drained)
        if self.erasure_ledger is not None:
            # Erasures whose ledger entry could not be written when they committed.
            try:
                written = await write_pending(self.engine, self.erasure_ledger)
            except OSError as exc:
                log.warning("erasure ledger: write failed (%s)", type(exc).__name__)
            else:
                if written:
                    log.info("wrote %d pending erasure ledger entr(ies)", written)
        return expired

    async def daily(self) -> list[str]:
        """Archive the courses whose terms have all ended (docs/school-year.md rule 4).

        Every worker runs it; it is idempotent, so a second run the same day finds nothing.
        """
        with job_span("job ARCHIVE_ENDED", {"tavle.job.action": "ARCHIVE_ENDED"}):
            archived = await archive_ended(self.engine, clock.today(), "job:archive-ended")
        if archived:
            log.info("archived %d course(s) whose terms have ended", len(archived))
        # Open data requests near or past their deadline (docs/data-requests.md): once a day.
        try:
            if await data_requests.remind(self.engine):
                log.info("data request reminder sent")
        except Exception as exc:  # tried again by the next day's run (or another worker's)
            log.warning("data request reminder failed (%s)", type(exc).__name__)
        await self.notify_expired_retention()
        await self.purge_access_log()
        return archived

    async def purge_access_log(self) -> int:
        """Delete the staff access log's entries older than its retention (``store.access_log``);
        how many. A failure is logged by type and retried the next day."""
        if self.access_log_retention is None:
            return 0
        cutoff = self.access_log_retention.before(clock.now())
        try:
            async with self.engine.begin() as conn:
                purged = await access_log.purge_before(conn, cutoff)
        except Exception as exc:
            log.warning("access log: retention purge failed (%s)", type(exc).__name__)
            return 0
        if purged:
            log.info("access log: deleted %d entr(ies) past retention", purged)
        return purged

    async def notify_expired_retention(self) -> int:
        """Tell the system administrators, once a day across all workers, that people's
        retention has expired (``resolvers.services.retention_notice``); how many were told.
        A failure is logged by type and retried the next day."""
        try:
            told = await notify_expired_retention(self.engine, self.retention_file)
        except Exception as exc:
            log.warning("retention notice failed (%s)", type(exc).__name__)
            return 0
        if told:
            log.info("told %d system administrator(s) that retention has expired", told)
        return told

    async def run_once(self) -> bool:
        """Claim one job and run it; False when there was nothing to claim."""
        claim = await jobs.claim_next(
            self.engine, self.worker_id, self.lease_seconds, actions=list(self.handlers)
        )
        if claim is None:
            return False
        handler = self.handlers.get(claim.action)
        if handler is None:  # unregistered between the claim and now
            await jobs.release(self.engine, claim.request_id, self.worker_id)
            return True
        if claim.attempts > MAX_ATTEMPTS:
            log.warning(
                "privacy request %d: giving up after %d attempts", claim.request_id, MAX_ATTEMPTS
            )
            await jobs.fail(
                self.engine,
                claim.request_id,
                self.worker_id,
                f"gave up after {MAX_ATTEMPTS} interrupted attempts",
            )
            return True
        started = time.monotonic()
        outcome = "interrupted"
        try:
            with job_span(
                f"job {claim.action}",
                {
                    "tavle.job.action": claim.action,
                    "tavle.job.request_id": claim.request_id,
                    "tavle.job.attempt": claim.attempts,
                    "tavle.job.worker": self.worker_id,
                },
            ) as span:
                outcome = await self._run(claim, handler)
                span.set_attribute("tavle.job.outcome", outcome)
                if outcome == "failed":
                    span.set_status(Status(StatusCode.ERROR, "job failed"))
        finally:
            observe_job(claim.action, outcome, time.monotonic() - started)
        return True

    async def _run(self, claim: jobs.Claim, handler: Handler) -> str:
        """Run the job; its outcome for the metrics: ``done``, ``failed`` or ``lost_lease``
        (``CancelledError`` propagates: the job was interrupted and is queued again)."""
        request_id = claim.request_id
        outcome = "done"
        log.info(
            "privacy request %d (%s): started, attempt %d", request_id, claim.action, claim.attempts
        )
        beat = asyncio.create_task(self._heartbeat(request_id), name=f"heartbeat-{request_id}")
        try:
            await handler(self.engine, request_id, self.worker_id)
        except jobs.LostLease:
            # Another worker owns the job now; the handler's transaction rolled back.
            log.warning("privacy request %d: lease lost, left to the new owner", request_id)
            outcome = "lost_lease"
        except asyncio.CancelledError:
            # Shutdown interrupted the job: its transaction rolled back, so queue it again now
            # rather than after the lease runs out.
            if await asyncio.shield(jobs.release(self.engine, request_id, self.worker_id)):
                log.info("privacy request %d: interrupted by shutdown, queued again", request_id)
            raise
        except Exception as exc:  # any handler failure becomes a FAILED request
            log.warning("privacy request %d: failed (%s)", request_id, type(exc).__name__)
            outcome = "failed"
            await jobs.fail(
                self.engine,
                request_id,
                self.worker_id,
                f"the {claim.action.lower()} job failed ({type(exc).__name__}); see the server log",
            )
        else:
            log.info("privacy request %d: done", request_id)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        return outcome

    async def _heartbeat(self, request_id: int) -> None:
        interval = max(self.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                still_ours = await jobs.heartbeat(
                    self.engine, request_id, self.worker_id, self.lease_seconds
                )
            except Exception as exc:  # a missed beat is not fatal; the lease has slack for two
                log.warning(
                    "privacy request %d: heartbeat failed (%s)", request_id, type(exc).__name__
                )
                continue
            if not still_ours:
                log.warning("privacy request %d: lease lost while running", request_id)
                return


class RunningWorker:
    """The worker the gateway's lifespan runs: its task, its stop signal and its own engine.

    The worker has an engine (a small pool) of its own, so a long job never holds connections
    the requests need, and the requests' per-engine statement counts never include its polling.

    Shutdown (docs/operations.md, "Shutdown") has two steps. :meth:`begin_shutdown`, called as
    soon as the process is asked to stop, makes the worker claim nothing more and starts the
    grace period (``shutdown_grace_seconds``) of the job it is running. :meth:`stop`, called
    when the gateway has finished its requests, waits for that job until the grace period ends,
    then interrupts it: its transaction rolls back and the job is queued again at once
    (``JobWorker._run``), so another process takes it on its next poll instead of after the
    lease runs out.
    """

    def __init__(self, settings: Settings, handlers: Mapping[PrivacyAction, Handler]) -> None:
        url = settings.resolved_database_url()
        self.engine = make_engine(url) if is_sqlite(url) else make_engine(url, pool_size=2)
        instrument_engine(self.engine)
        self.worker = JobWorker.from_settings(self.engine, settings, handlers)
        self.grace_seconds = settings.shutdown_grace_seconds
        self.stop_event = asyncio.Event()
        self._deadline: float | None = None
        self.task = asyncio.create_task(self.worker.run(self.stop_event), name="tavle-job-worker")

    def begin_shutdown(self) -> None:
        """Claim no further job; the running one has until the grace period ends."""
        if self._deadline is None:
            self._deadline = time.monotonic() + self.grace_seconds
            log.info("job worker %s: stopping", self.worker.worker_id)
        self.stop_event.set()

    async def stop(self) -> None:
        """Wait for the running job until the grace period ends; interrupt it then (it is
        queued again, see ``JobWorker._run``)."""
        self.begin_shutdown()
        assert self._deadline is not None
        try:
            await asyncio.wait_for(
                asyncio.shield(self.task), timeout=max(self._deadline - time.monotonic(), 0.0)
            )
        except TimeoutError:
            log.info("job worker %s: grace period over, interrupting", self.worker.worker_id)
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        finally:
            await self.engine.dispose()
