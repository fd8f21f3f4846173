"""Which of a page of people have rows at all, so a school export skips the empty queries.

A school export (``store.privacy.school_export``) writes one document per member, and every
provider runs its statements for each of them; most members (students, guardians) have no rows
in most of them (no messages, no calendar events, no files ...). Before a page of members is
written, one ``SELECT DISTINCT <key> ... WHERE <key> IN (<page>)`` per :class:`Check` finds the
members that have any row there; while the page is written (:func:`known_rows`),
``stream_rows(..., check=(Check.X, subject_id))`` does not run its statement for a member the
check found nothing for.

Each check reads the table that drives the provider's statement with the same key the statement
filters on, without the statement's joins or further conditions, so it finds every member the
statement could return a row for (and possibly more): a skipped statement is one that would have
returned no rows, and the documents are byte for byte those written without the checks
(tests/privacy/test_school_export_documents.py). A provider whose statements all carry checks
returns at once when none found anything (``may_have_any``), without building its statements.
The school export reads one snapshot (a read transaction on SQLite, REPEATABLE READ on
PostgreSQL: ``resolvers.services.school_export``), so a page's checks and its documents see the
same rows.

Outside :func:`known_rows` (the per-person export) nothing is skipped. Only sets of ids are held,
one page at a time.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy import Column, FromClause, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t


class Check(enum.StrEnum):
    """A kind of data a provider statement reads by a person's id (its key columns: ``KEYS``)."""

    ROLES = "ROLES"
    GUARDIANSHIPS = "GUARDIANSHIPS"
    ENROLMENTS = "ENROLMENTS"
    NOTIFICATIONS = "NOTIFICATIONS"
    ACCESS_LOG = "ACCESS_LOG"
    INCIDENTS = "INCIDENTS"
    MESSAGES = "MESSAGES"
    POSTS = "POSTS"
    COMMENTS = "COMMENTS"
    ASSIGNMENTS = "ASSIGNMENTS"
    DOCUMENTS = "DOCUMENTS"
    #: assessments about the person (received)
    ASSESSED = "ASSESSED"
    #: revisions of assessments about the person
    REVISIONS = "REVISIONS"
    #: assessments registered by the person (given)
    ASSESSOR = "ASSESSOR"
    CALENDAR = "CALENDAR"
    #: the person's own submissions (answers)
    ANSWERS = "ANSWERS"
    #: earlier versions of the person's own submissions
    VERSIONS = "VERSIONS"
    #: submissions last opened by the person
    OPENED = "OPENED"
    FILES = "FILES"
    DATA_REQUESTS = "DATA_REQUESTS"


_a, _s = t.assessments.c, t.submissions.c

#: The key columns of each check: a person has rows when any of them holds their id (in the
#: column's table, or in the join given with it).
KEYS: Mapping[Check, tuple[Column[int] | tuple[Column[int], FromClause], ...]] = {
    Check.ROLES: (t.role_assignments.c.person_id,),
    Check.GUARDIANSHIPS: (t.guardianships.c.guardian_id, t.guardianships.c.student_id),
    Check.ENROLMENTS: (t.enrolments.c.person_id,),
    Check.NOTIFICATIONS: (t.notifications.c.person_id,),
    Check.ACCESS_LOG: (t.access_log.c.person_id,),
    Check.INCIDENTS: (t.incident_people.c.person_id,),
    Check.MESSAGES: (t.messages.c.author_id,),
    Check.POSTS: (t.posts.c.author_id,),
    Check.COMMENTS: (t.comments.c.author_id,),
    Check.ASSIGNMENTS: (t.assignments.c.author_id,),
    Check.DOCUMENTS: (t.documents.c.owner_id,),
    Check.ASSESSED: (t.assessments.c.student_id,),
    Check.REVISIONS: (
        (
            _a.student_id,
            t.assessment_revisions.join(
                t.assessments, _a.id == t.assessment_revisions.c.assessment_id
            ),
        ),
    ),
    Check.ASSESSOR: (t.assessments.c.assessor_id,),
    Check.CALENDAR: (t.calendar_events.c.owner_id,),
    Check.ANSWERS: (t.submissions.c.student_id,),
    Check.VERSIONS: (
        (
            _s.student_id,
            t.submission_versions.join(
                t.submissions, _s.id == t.submission_versions.c.submission_id
            ),
        ),
    ),
    Check.OPENED: (t.submissions.c.last_opened_by_id,),
    Check.FILES: (t.files.c.owner_id,),
    Check.DATA_REQUESTS: (t.data_requests.c.subject_id, t.data_requests.c.requested_by_id),
}

#: (the page's ids, the ids each check found rows for) while a page is written
_KNOWN: ContextVar[tuple[frozenset[int], Mapping[Check, frozenset[int]]] | None] = ContextVar(
    "tavle_export_known_rows", default=None
)


def may_have_rows(check: Check, subject_id: int) -> bool:
    """False only inside :func:`known_rows`, for a person of the page ``check`` found no rows
    for."""
    known = _KNOWN.get()
    if known is None:
        return True
    page, found = known
    return subject_id not in page or subject_id in found[check]


def may_have_any(subject_id: int, *checks: Check) -> bool:
    """:func:`may_have_rows` for any of ``checks``: a provider whose statements all have one of
    them returns at once when this is False, without building its statements."""
    return any(may_have_rows(check, subject_id) for check in checks)


async def _having_rows(conn: AsyncConnection, check: Check, ids: Sequence[int]) -> frozenset[int]:
    """Those of ``ids`` that any of ``check``'s key columns holds."""
    found: set[int] = set()
    for key in KEYS[check]:
        column, joined = key if isinstance(key, tuple) else (key, key.table)
        stmt = select(column).select_from(joined).where(column.in_(ids)).distinct()
        found.update(int(i) for i in (await conn.execute(stmt)).scalars())
    return frozenset(found)


@asynccontextmanager
async def known_rows(conn: AsyncConnection, ids: Sequence[int]) -> AsyncIterator[None]:
    """While inside, statements of ``ids`` the checks found no rows for are skipped."""
    found = {check: await _having_rows(conn, check, ids) for check in Check}
    token = _KNOWN.set((frozenset(ids), found))
    try:
        yield
    finally:
        _KNOWN.reset(token)
