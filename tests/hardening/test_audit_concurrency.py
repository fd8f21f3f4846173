"""Concurrent audited requests never collide in the audit log or break its hash chain
(docs/security.md, "Integrity").

Each entry is chained to the one before it, so two appenders must never read the same chain
head. PostgreSQL serialises them with a transaction-level advisory lock; on SQLite every write
transaction begins IMMEDIATE and so holds the write lock from its first read (store/sqlite.py).
Many lanes of audited requests through HTTP at once, on both backends: among them requests whose
only write is the audit entry (a read of a national id number, publishing nothing), which start
their transaction by reading the chain head. Afterwards no entry is missing and
``tavle audit verify`` passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_support import BACKENDS
from gateway_support import REPO, LiveGateway, own_gateway
from mutation_support import CREATE_POST, PUBLISH, SET_PREFERENCE, count
from race_support import Call, lanes_at_once, succeeded
from sqlalchemy import func, select

from store import tables as t

LANES = 16
PER_LANE = 6
STUDENTS = ["elev.ola", "elev.jakob", "elev.amina", "elev.sara", "elev.filip", "elev.mia"]
TAVLE = [sys.executable, "-m", "gateway.cli"]
NATIONAL_ID = "query($id: ID!) { user(id: $id) { nationalId } }"


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    # SQLite runs the lanes' writes one at a time: on a machine loaded by parallel test workers
    # the last of them may wait longer than the default operation timeout (10 s).
    with own_gateway(
        request.param, tmp_path_factory, "audit-concurrency", execution_timeout_seconds=60.0
    ) as gateway:
        yield gateway


def lane(live: LiveGateway, index: int) -> tuple[list[Call], Counter[str]]:
    """The calls of one lane and the audit actions they must add."""
    calls: list[Call] = []
    expected: Counter[str] = Counter()
    student = STUDENTS[index % len(STUDENTS)]
    for step in range(PER_LANE):
        kind = (index + step) % 4
        if kind == 0:
            # Audited read: the transaction's only statement before the append is the head read.
            subject = live.person_id(STUDENTS[(index + step) % len(STUDENTS)])
            calls.append(Call(live.token("admin"), NATIONAL_ID, {"id": subject}))
            expected["READ_NATIONAL_ID"] += 1
        elif kind == 1:
            variables = {"key": f"lane-{index}", "value": f"step-{step}"}
            calls.append(Call(live.token(student), SET_PREFERENCE, variables))
            expected["SET_PREFERENCE"] += 1
        elif kind == 2:
            # Nothing left to publish after the first: an audit entry is the only write.
            variables = {"courseId": live.course_id("c-bjs-mat8"), "kind": "HALF_YEAR"}
            calls.append(Call(live.token("rektor.bjolsen"), PUBLISH, variables))
            expected["PUBLISH_ASSESSMENTS"] += 1
        else:
            variables = {"courseId": live.course_id("c-bjs-mat8"), "body": f"{index}/{step}"}
            calls.append(Call(live.token(student), CREATE_POST, variables))
            expected["CREATE_POST"] += 1
    return calls, expected


def actions(live: LiveGateway) -> Counter[str]:
    a = t.audit_entries.c
    rows = live.rows(select(a.action, func.count()).group_by(a.action))
    return Counter({action: int(n) for action, n in rows})


def audit_verify(live: LiveGateway, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TAVLE, "audit", "verify", "--batch-size", "50", "--database-url", live.database_url],
        cwd=REPO,
        env=dict(os.environ, TAVLE_DATA_DIR=str(tmp)),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("round_", [1, 2])
def test_concurrent_audited_requests_keep_every_entry_and_the_chain(
    live: LiveGateway, tmp_path: Path, round_: int
) -> None:
    before, total_before = actions(live), count(live, t.audit_entries)
    lanes, expected = [], Counter[str]()
    for index in range(LANES):
        calls, adds = lane(live, index + round_)
        lanes.append(calls)
        expected += adds

    results = lanes_at_once(live.url, lanes)

    failed = [r.errors for lane_results in results for r in lane_results if not succeeded(r)]
    assert failed == []
    added = actions(live) - before
    assert added == expected
    assert count(live, t.audit_entries) == total_before + LANES * PER_LANE
    # Ids follow each other without a gap and every entry chains to the one before it.
    verified = audit_verify(live, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"audit log OK: {total_before + LANES * PER_LANE} entries" in verified.stdout
