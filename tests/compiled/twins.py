"""Two gateways on one database: graphql-core's execution and the compiled path, side by side.

``Twins.run`` sends one operation as one viewer to both, each starting from the same data: the
answers' opened stamps are put back to a fixed state before each request (a teacher's read
stamps them, and the stamps are part of later answers). What each request left behind is read
back: the ``READ_NATIONAL_ID`` audit entries it appended, the answers it stamped and the staff
access log's entries (the gateway's buffer written right after the request). Both
gateways are real (uvicorn, HTTP, the product's app), each with its own engine, whose
statements are counted per request. Both read the policy from one file, which
``Twins.policy_variant`` rewrites for a block of requests. A few of the demo school's people are
made inactive first (:data:`INACTIVE`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway_support import GraphQLResult, LiveGateway, run_gateway
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import DEFAULT_POLICY
from config.ids import to_global_id
from gateway.compiled.cache import PlanStats
from store import tables as t
from store.db import make_engine
from store.tables import ProcessingState, Role

#: the demo's answers are stamped as opened long ago by someone: a teacher's read stamps again
OLD_STAMP = datetime(2020, 1, 1, tzinfo=UTC)
#: people of the demo school who are no longer active: a student who commented and answered, one
#: who was assessed, a teacher who posted, wrote and owns an event
INACTIVE = {
    "elev.mia": ProcessingState.RESTRICTED,
    "elev.filip": ProcessingState.ERASED,
    "larer.nilsen": ProcessingState.RESTRICTED,
}
#: settings both gateways share: nothing between the requests but the executor, and room for
#: documents that walk the whole demo school
SHARED = {
    "rate_limit_person_per_minute": 0,
    "rate_limit_address_per_minute": 0,
    "max_fields": 5000,
    "max_aliases": 500,
    "max_tokens": 20000,
}
ANONYMOUS = "(anonymous)"
INVALID_TOKEN = "(invalid token)"


@dataclass(frozen=True)
class Sent:
    """One request's response, its statements, and what it left behind."""

    response: GraphQLResult
    statements: int
    audits: list[tuple[int | None, str, int | None]]
    stamped: dict[int, int | None]
    #: the staff access log's entries: (staff, person, what, operation)
    accessed: list[tuple[int, int, str, str | None]] = field(default_factory=list)

    def canonical(self) -> tuple[str, list[str]]:
        """The data as sent (key order kept) and the errors, each as canonical JSON, sorted:
        graphql-core collects errors in the order its batches complete, which is not fixed."""
        data = json.dumps(self.response.get("data"), ensure_ascii=False)
        errors = sorted(json.dumps(e, sort_keys=True) for e in self.response.errors)
        return data, errors


@dataclass
class Twins:
    generic: LiveGateway
    compiled: LiveGateway
    engine: AsyncEngine
    runner: asyncio.Runner
    #: the policy file both gateways read
    policy: Path
    #: submission id -> opened by, as put back before every request
    stamps: dict[int, int | None] = field(default_factory=dict)
    viewers: dict[str, list[str]] = field(default_factory=dict)
    #: type name -> global ids of every object of the type
    ids: dict[str, list[str]] = field(default_factory=dict)

    @contextmanager
    def policy_variant(self, without: set[str], added: list[str]) -> Iterator[None]:
        """Both gateways on a policy without the ``without`` lines and with the ``added`` ones,
        for the block; then the policy as it was."""
        original = self.policy.read_text(encoding="utf-8")
        lines = [line for line in original.splitlines() if line.strip() not in without]
        assert len(lines) == len(original.splitlines()) - len(without), "a line is not there"
        try:
            self.policy.write_text("\n".join([*lines, *added]) + "\n", encoding="utf-8")
            self._reload()
            yield
        finally:
            self.policy.write_text(original, encoding="utf-8")
            self._reload()

    def _reload(self) -> None:
        for gateway in (self.generic, self.compiled):
            gateway.state.policy.reload()

    @property
    def stats(self) -> PlanStats:
        compiled = self.compiled.state.compiled
        assert compiled is not None
        return compiled.stats

    def run(
        self, query: str, variables: dict[str, Any] | None = None, viewer: str | None = None
    ) -> tuple[Sent, Sent]:
        return (
            self.send(self.generic, query, variables, viewer),
            self.send(self.compiled, query, variables, viewer),
        )

    def send(
        self,
        gateway: LiveGateway,
        query: str,
        variables: dict[str, Any] | None,
        viewer: str | None,
    ) -> Sent:
        self.runner.run(self._restore_stamps())
        watermark = self.runner.run(self._last_audit_id())
        log_watermark = self.runner.run(self._last_access_id())
        kwargs: dict[str, Any] = {}
        if viewer == INVALID_TOKEN:
            kwargs["token"] = "not-a-token"
        elif viewer not in (None, ANONYMOUS):
            kwargs["as_user"] = viewer
        with gateway.count_sql() as statements:
            response = gateway.gql(query, variables, **kwargs)
        audits, stamped = self.runner.run(self._effects(watermark))
        gateway.state.access_log.flush_from_thread()
        accessed = self.runner.run(self._accessed(log_watermark))
        return Sent(response, len(statements), audits, stamped, accessed)

    # --- the data both see ---------------------------------------------------------------

    async def _restore_stamps(self) -> None:
        if not self.stamps:
            return
        s = t.submissions.c
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.submissions)
                .where(s.id == bindparam("sid"))
                .values(last_opened_at=bindparam("at"), last_opened_by_id=bindparam("by")),
                [
                    {"sid": sid, "at": None if by is None else OLD_STAMP, "by": by}
                    for sid, by in self.stamps.items()
                ],
            )

    async def _last_audit_id(self) -> int:
        async with self.engine.connect() as conn:
            found = (await conn.execute(select(func.max(t.audit_entries.c.id)))).scalar()
        return int(found or 0)

    async def _last_access_id(self) -> int:
        async with self.engine.connect() as conn:
            found = (await conn.execute(select(func.max(t.access_log.c.id)))).scalar()
        return int(found or 0)

    async def _accessed(self, watermark: int) -> list[tuple[int, int, str, str | None]]:
        c = t.access_log.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(c.staff_id, c.person_id, c.what, c.operation).where(c.id > watermark)
            )
            return sorted((r.staff_id, r.person_id, r.what, r.operation) for r in rows)

    async def _effects(
        self, watermark: int
    ) -> tuple[list[tuple[int | None, str, int | None]], dict[int, int | None]]:
        a, s = t.audit_entries.c, t.submissions.c
        async with self.engine.connect() as conn:
            audits = [
                (row.actor_id, row.action, row.target_id)
                for row in await conn.execute(
                    select(a.actor_id, a.action, a.target_id)
                    .where(a.id > watermark, a.action.like("READ_%"))
                    .order_by(a.id)
                )
            ]
            rows = await conn.execute(select(s.id, s.last_opened_by_id, s.last_opened_at))
            stamped = {
                row.id: row.last_opened_by_id
                for row in rows
                if row.last_opened_at is not None and _aware(row.last_opened_at) > OLD_STAMP
            }
        return audits, stamped

    async def load(self) -> None:
        """The viewers by role, every object's id, and the stamps both gateways start from;
        some people restricted or erased first (:data:`INACTIVE`), so that their answers hide
        and their posts, comments, messages and events show a pseudonym."""
        p, ra, e = t.people.c, t.role_assignments.c, t.enrolments.c
        async with self.engine.begin() as conn:
            for username, state in INACTIVE.items():
                await conn.execute(
                    update(t.people).where(p.username == username).values(processing_state=state)
                )
            # two notifications for everyone who logs in (one read), for node(id) and the lists
            people = (
                (await conn.execute(select(p.id).where(p.username.is_not(None)))).scalars().all()
            )
            await conn.execute(
                t.notifications.insert(),
                [
                    {
                        "person_id": person,
                        "kind": "TEST",
                        "message": f"Melding {n}",
                        "created_at": OLD_STAMP,
                        "read_at": OLD_STAMP if n else None,
                    }
                    for person in people
                    for n in range(2)
                ],
            )
        async with self.engine.connect() as conn:
            for role in Role:
                rows = await conn.execute(
                    select(p.id, p.username)
                    .join(t.role_assignments, ra.person_id == p.id)
                    .where(ra.role == role, p.username.is_not(None))
                    .order_by(p.id)
                    .distinct()
                )
                self.viewers[role.value] = [row.username for row in rows][:4]
            students = await conn.execute(
                select(p.id, p.username)
                .join(t.enrolments, e.person_id == p.id)
                .where(e.role == "STUDENT", p.username.is_not(None))
                .order_by(p.id)
                .distinct()
            )
            self.viewers.setdefault("STUDENT", []).extend(
                name
                for name in [row.username for row in students][:4]
                if name not in self.viewers["STUDENT"]
            )
        await self._read_ids_and_stamps()

    async def replace_data(self, rows: dict[Table, list[dict[str, Any]]]) -> None:
        """Replace the demo school with ``rows`` (a generated roster and its activity:
        tests/engine_datasets.py). The viewer counter is kept: its triggers raise it for the
        rows deleted and inserted, so neither gateway uses a viewer it cached before."""
        async with self.engine.begin() as conn:
            for table in reversed(t.metadata.sorted_tables):
                if table is not t.viewer_epoch:
                    await conn.execute(table.delete())
            for table in t.metadata.sorted_tables:
                if rows.get(table):
                    await conn.execute(table.insert(), rows[table])
        await self._read_ids_and_stamps()

    async def _read_ids_and_stamps(self) -> None:
        e = t.enrolments.c
        async with self.engine.connect() as conn:
            for type_name, table in _TABLES.items():
                found = await conn.execute(select(table.c.id).order_by(table.c.id))
                self.ids[type_name] = [to_global_id(type_name, row.id) for row in found]
            teachers = [
                row.person_id
                for row in await conn.execute(
                    select(e.person_id).where(e.role == "TEACHER").order_by(e.id)
                )
            ]
            submissions = [
                row.id
                for row in await conn.execute(
                    select(t.submissions.c.id).order_by(t.submissions.c.id)
                )
            ]
        # every other answer opened long ago by a teacher, the rest never opened
        self.stamps = {
            sid: (teachers[n % len(teachers)] if n % 2 == 0 and teachers else None)
            for n, sid in enumerate(submissions)
        }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_TABLES = {
    "User": t.people,
    "School": t.schools,
    "Course": t.courses,
    "Assignment": t.assignments,
    "Submission": t.submissions,
    "Assessment": t.assessments,
    "Post": t.posts,
    "Comment": t.comments,
    "Conversation": t.conversations,
    "Message": t.messages,
    "Document": t.documents,
    "CalendarEvent": t.calendar_events,
    "AcademicSession": t.academic_sessions,
    "PrivacyRequest": t.privacy_requests,
    "AuditEntry": t.audit_entries,
    "RosterImport": t.roster_imports,
    "Notification": t.notifications,
}


@contextmanager
def twin_gateways(backend: str, database_url: str, folder: Path) -> Iterator[Twins]:
    """Both gateways on ``database_url`` (the demo school), and the test's own engine. They
    read the policy from a copy in ``folder`` (``Twins.policy_variant`` changes it)."""
    policy = folder / "policy.csv"
    shutil.copyfile(DEFAULT_POLICY, policy)
    shared = {**SHARED, "policy_file": policy}
    with (
        run_gateway(backend, database_url, folder, compiled_execution=False, **shared) as generic,
        run_gateway(backend, database_url, folder, compiled_execution=True, **shared) as compiled,
        asyncio.Runner() as runner,
    ):
        engine = make_engine(database_url)
        twins = Twins(generic, compiled, engine, runner, policy)
        try:
            runner.run(twins.load())
            yield twins
        finally:
            runner.run(engine.dispose())


def assert_same(generic: Sent, compiled: Sent) -> None:
    """Both executors answered the same and left the same effects behind, the compiled one
    with no more SQL statements."""
    assert compiled.canonical() == generic.canonical()
    assert sorted(compiled.audits) == sorted(generic.audits)
    assert compiled.stamped == generic.stamped
    assert compiled.accessed == generic.accessed
    assert compiled.statements <= generic.statements
