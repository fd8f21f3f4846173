"""Helpers for the batch and school erasure tests: the mutations, and running the job worker by
hand (the gateways here run without their own worker, so a test decides when jobs run, the
preview's included, and can run one with an injected failure)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gateway_support import LiveGateway, run_jobs
from privacy_api_support import ADMIN, ADMIN2, JUSTIFICATION, ok, privacy_gateway
from sqlalchemy.ext.asyncio import AsyncConnection

from store.privacy.base import DataCategory, Effect


@dataclass
class JobSetup:
    """A test module's gateway, started without its own job worker, and the folder the tests'
    hand-run worker writes to."""

    live: LiveGateway
    folder: Path


@contextmanager
def gateway_without_worker(
    backend: str, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[JobSetup]:
    with privacy_gateway(backend, tmp_path_factory, name, jobs_enabled=False) as live:
        yield JobSetup(live, tmp_path_factory.mktemp(f"{name}-jobs"))


ITEMS = """
  itemCounts { total pending erased skipped failed }
  items(first: 100) {
    totalCount
    edges { node {
      status basis reason doneAt
      effects { category outcome count }
      subject { id isPseudonym processingState }
    } }
  }
"""
REQUEST_FIELDS = f"""
  id action status justification error createdAt completedAt
  effects {{ category outcome count item }}
  requestedBy {{ id }} confirmedBy {{ id }} school {{ id }}
  {ITEMS}
"""
REQUEST_BATCH = f"""
mutation($ids: [ID!], $all: Boolean, $j: String!) {{
  requestBatchErasure(subjectIds: $ids, allExpired: $all, justification: $j) {{
    {REQUEST_FIELDS}
  }}
}}"""
REQUEST_SCHOOL = f"""
mutation($s: ID!, $j: String!) {{
  requestSchoolErasure(schoolId: $s, justification: $j) {{ {REQUEST_FIELDS} }}
}}"""
CONFIRM_BATCH = f"""
mutation($r: ID!) {{ confirmBatchErasure(requestId: $r) {{ {REQUEST_FIELDS} }} }}"""
REQUEST = f"query($id: ID!) {{ privacyRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"


def request_batch(
    live: LiveGateway,
    usernames: list[str] | None = None,
    *,
    all_expired: bool | None = None,
    who: str = ADMIN,
) -> dict[str, Any]:
    ids = None if usernames is None else [live.person_id(name) for name in usernames]
    variables = {"ids": ids, "all": all_expired, "j": JUSTIFICATION}
    return ok(live.gql(REQUEST_BATCH, variables, as_user=who))  # type: ignore[no-any-return]


def confirm_batch(live: LiveGateway, request_id: str, who: str = ADMIN2) -> dict[str, Any]:
    return ok(live.gql(CONFIRM_BATCH, {"r": request_id}, as_user=who))  # type: ignore[no-any-return]


def batch_request(live: LiveGateway, request_id: str) -> dict[str, Any]:
    return ok(live.gql(REQUEST, {"id": request_id}, as_user=ADMIN))  # type: ignore[no-any-return]


def previewed(live: LiveGateway, request_id: str, *, folder: Path) -> dict[str, Any]:
    """The request once the job worker has computed its preview (it was PREVIEWING)."""
    run_jobs(live, folder=folder)
    done = batch_request(live, request_id)
    assert done["status"] == "AWAITING_CONFIRMATION", done
    return done


def items_by_subject(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The request's items by their subject's id (people not erased yet: their ``User`` id)."""
    return {edge["node"]["subject"]["id"]: edge["node"] for edge in request["items"]["edges"]}


def items_by_name(
    live: LiveGateway, before: dict[str, Any], after: dict[str, Any], names: list[str]
) -> dict[str, dict[str, Any]]:
    """``after``'s items by username. An erased person is shown as a pseudonym, so the items
    are matched by position (they keep their order) with ``before``, read while nobody in it was
    erased yet."""
    order = [edge["node"]["subject"]["id"] for edge in before["items"]["edges"]]
    nodes = [edge["node"] for edge in after["items"]["edges"]]
    assert len(order) == len(nodes)
    return {name: nodes[order.index(live.person_id(name))] for name in names}


class SimulatedCrash(BaseException):
    """What killing the worker's process looks like to the job: it stops where it is, and
    nothing after that point runs (not even the failure handling of ``Exception``)."""


class CrashWhilePreviewing:
    """A privacy provider whose preview kills the worker (``SimulatedCrash``) when it counts
    ``subject_id``; it has nothing of its own to erase."""

    category = DataCategory.INTERNAL_LOGIC
    tables: tuple[str, ...] = ()

    def __init__(self, subject_id: int) -> None:
        self.subject_id = subject_id

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        if subject_id == self.subject_id:
            raise SimulatedCrash
        return []

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return []


class FailOn:
    """A privacy provider that erases nothing of its own and raises while erasing one person:
    ``RuntimeError`` (a failing person), or ``SimulatedCrash`` (the worker dies there)."""

    category = DataCategory.INTERNAL_LOGIC
    tables: tuple[str, ...] = ()

    def __init__(self, subject_id: int, crash: bool = False) -> None:
        self.subject_id = subject_id
        self.crash = crash

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return []

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        if subject_id == self.subject_id:
            if self.crash:
                raise SimulatedCrash
            raise RuntimeError("injected failure")
        return []


__all__ = [
    "ADMIN",
    "ADMIN2",
    "CrashWhilePreviewing",
    "FailOn",
    "JobSetup",
    "SimulatedCrash",
    "gateway_without_worker",
    "previewed",
    "run_jobs",
]
