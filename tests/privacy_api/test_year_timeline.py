"""A school year of data protection, simulated day by day through the HTTP API, on both backends.

The gateway runs on a :class:`config.clock.ManualClock` (it runs in this process, so the clock
reaches its resolvers and its own job worker). The test moves the clock forward and lets the
gateway's job worker do what it does once a day (reminders about data requests, the notice that
retention has expired), exactly as in production, where the worker notices that the date changed.

The year: requests from a student, from a guardian for a child, and one recorded from a letter;
decisions, an export released to the student and downloaded by her alone; a request due within a
week (reminder), extended, fulfilled; one left open until it is overdue; two people leave (are
restricted) months apart; retention expires for the first, then the second; the recycle bin is
emptied twice by batch erasures a second administrator confirms; the audit chain still verifies.

The retention registry is shortened (three months, assessments six) so that a year holds the
whole cycle.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from batch_erasure_support import CONFIRM_BATCH, REQUEST_BATCH, batch_request
from db_support import BACKENDS
from gateway_support import REPO, LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    JUSTIFICATION,
    download,
    ok,
    privacy_gateway,
    refused,
    restrict,
    wait_until_finished,
)

from config import clock
from config.clock import ManualClock
from store.privacy.retention import DEFAULT_RETENTION_FILE

TAVLE = [sys.executable, "-m", "gateway.cli"]

START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday in January
DAY = timedelta(days=1)

SUBMIT = """
mutation($k: DataRequestKind!, $s: ID, $m: String, $c: RequestChannel) {
  submitDataRequest(kind: $k, subjectId: $s, message: $m, channel: $c) {
    id kind status channel receivedAt dueAt extendedTo
  }
}"""
DECIDE = """
mutation($r: ID!, $a: Boolean!, $why: String!, $v: Boolean) {
  decideDataRequest(requestId: $r, accept: $a, reason: $why, identityVerified: $v) {
    id status identityVerified decidedAt
  }
}"""
EXTEND = """
mutation($r: ID!, $why: String!) {
  extendDataRequest(requestId: $r, reason: $why) { id dueAt extendedTo extensionReason }
}"""
DATA_REQUEST = """
query($id: ID!) { node(id: $id) { ... on DataRequest {
  id status dueAt extendedTo completedAt actions { id action status }
} } }"""
QUEUE = """
query($o: Boolean) { dataRequests(overdue: $o, first: 50) { edges { node { id status } } } }"""
MINE = "{ viewer { dataRequests { edges { node { id kind status } } } } }"
EXPORT_FOR = """
mutation($s: ID!, $j: String!, $d: ID) {
  requestExport(subjectId: $s, justification: $j, format: JSON, dataRequestId: $d) { id status }
}"""
RELEASE = "mutation($p: ID!) { releaseExport(privacyRequestId: $p) { id downloadUrl } }"
RECTIFY = """
mutation($s: ID!, $j: String!, $d: ID) {
  rectifyPersonalData(
    subjectId: $s, input: {lastName: "Larsen-Berg", overrideSource: true}, justification: $j,
    dataRequestId: $d
  ) { id }
}"""
NOTIFICATIONS = "{ viewer { notifications { kind createdAt } } }"
EXPIRED = "{ expiredSubjects(first: 50) { edges { node { id } } } }"


def shortened_registry(folder: Path) -> Path:
    """The shipped registry with every period three months, assessments six."""
    lines = DEFAULT_RETENTION_FILE.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))
    header, body = rows[0], rows[1:]
    for row in body:
        row[1] = "P6M" if row[0] == "ASSESSMENTS" else "P3M"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    path = folder / "retention-short.csv"
    path.write_text("\n".join(comments) + "\n" + out.getvalue(), encoding="utf-8")
    return path


@dataclass
class Year:
    live: LiveGateway
    clock: ManualClock

    def to(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (forward only)."""
        self.clock.advance(moment - self.clock.now())

    def days(self, n: int) -> None:
        self.clock.advance(n * DAY)

    def submit(self, who: str, kind: str, subject: str | None = None, **more: Any) -> Any:
        variables = {
            "k": kind,
            "s": None if subject is None else self.live.person_id(subject),
            "m": more.get("message"),
            "c": more.get("channel"),
        }
        return ok(self.live.gql(SUBMIT, variables, as_user=who))

    def decide(self, request_id: str, accept: bool, reason: str) -> Any:
        variables = {"r": request_id, "a": accept, "why": reason, "v": True}
        return ok(self.live.gql(DECIDE, variables, as_user=ADMIN))

    def request(self, request_id: str) -> Any:
        return ok(self.live.gql(DATA_REQUEST, {"id": request_id}, as_user=ADMIN))

    def queue(self, overdue: bool | None = None) -> list[str]:
        found = ok(self.live.gql(QUEUE, {"o": overdue}, as_user=ADMIN))
        return [edge["node"]["id"] for edge in found["edges"]]

    def notifications(self, who: str, kind: str) -> list[str]:
        """When ``who`` got notifications of ``kind`` (their createdAt, by the clock)."""
        found = ok(self.live.gql(NOTIFICATIONS, as_user=who))
        return [n["createdAt"] for n in found["notifications"] if n["kind"] == kind]

    def expired(self) -> set[str]:
        found = ok(self.live.gql(EXPIRED, as_user=ADMIN))
        return {edge["node"]["id"] for edge in found["edges"]}

    def eventually(self, what: Callable[[], Any], timeout: float = 30.0) -> Any:
        """``what()`` once it is truthy: the gateway's job worker acts on its own poll."""
        deadline = time.monotonic() + timeout
        while not (found := what()):
            assert time.monotonic() < deadline, "the job worker did not act in time"
            time.sleep(0.05)
        return found


@pytest.fixture(params=BACKENDS)
def year(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Year]:
    folder = tmp_path_factory.mktemp("timeline-registry")
    with (
        clock.using(ManualClock(START)) as manual,
        privacy_gateway(
            request.param, tmp_path_factory, "timeline", retention_file=shortened_registry(folder)
        ) as live,
    ):
        yield Year(live, manual)


def day_of(stamp: str) -> str:
    return stamp[:10]


def empty_the_recycle_bin(year: Year, expected: set[str]) -> dict[str, Any]:
    """A batch erasure of everyone expired, previewed by the worker, confirmed by the second
    administrator, run by the worker; the finished request."""
    live = year.live
    asked = ok(live.gql(REQUEST_BATCH, {"all": True, "j": JUSTIFICATION}, as_user=ADMIN))
    subjects = {edge["node"]["subject"]["id"] for edge in asked["items"]["edges"]}
    assert subjects == expected
    previewed = year.eventually(
        lambda: (r := batch_request(live, asked["id"]))["status"] == "AWAITING_CONFIRMATION" and r
    )
    assert previewed["effects"], "the combined preview"
    # the administrator who asked cannot confirm
    own = live.gql(CONFIRM_BATCH, {"r": asked["id"]}, as_user=ADMIN)
    refused(own, "SECOND_ADMINISTRATOR_REQUIRED")
    ok(live.gql(CONFIRM_BATCH, {"r": asked["id"]}, as_user=ADMIN2))
    done = wait_until_finished(live, asked["id"])
    assert done["status"] == "COMPLETED", done
    return batch_request(live, asked["id"])  # type: ignore[no-any-return]


def test_a_year_of_requests_deadlines_leavers_and_retention(year: Year, tmp_path: Path) -> None:
    live = year.live
    ola, sara, jakob, filip, isak = (
        live.person_id(n)
        for n in ("elev.ola", "elev.sara", "elev.jakob", "elev.filip", "elev.isak")
    )

    # --- 4 January: three requests come in, one person leaves ---------------------------------
    access = year.submit("elev.sara", "ACCESS", message="Jeg vil ha en kopi av det dere har")
    assert access["status"] == "RECEIVED" and access["channel"] == "SELF_SERVICE"
    assert day_of(access["receivedAt"]) == "2027-01-04" and day_of(access["dueAt"]) == "2027-02-04"
    for_child = year.submit("foresatt.kari", "ERASURE", "elev.ola", message="Slett Ola")
    letter = year.submit(ADMIN, "RECTIFICATION", "elev.sara", channel="LETTER")
    assert letter["channel"] == "LETTER"
    restrict(live, "elev.filip")  # left the school
    # the guardian sees the request made for her child; the child's classmate sees none of them
    mine = ok(live.gql(MINE, as_user="foresatt.kari"))["dataRequests"]["edges"]
    assert [edge["node"]["id"] for edge in mine] == [for_child["id"]]
    assert ok(live.gql(MINE, as_user="elev.jakob"))["dataRequests"]["edges"] == []

    # --- 7 January: Sara's access request accepted and fulfilled with an export -----------------
    year.days(3)
    assert year.decide(access["id"], True, "Identity checked at the office")["status"] == "ACCEPTED"
    queued = ok(
        live.gql(EXPORT_FOR, {"s": sara, "j": JUSTIFICATION, "d": access["id"]}, as_user=ADMIN)
    )
    assert wait_until_finished(live, queued["id"])["status"] == "COMPLETED"
    assert year.request(access["id"])["status"] == "COMPLETED"
    released = ok(live.gql(RELEASE, {"p": queued["id"]}, as_user=ADMIN))
    assert download(live, released["downloadUrl"], who="elev.sara").status_code == 200
    assert download(live, released["downloadUrl"], who="elev.ola").status_code == 403
    assert year.notifications("elev.sara", "DATA_EXPORT_RELEASED")

    # --- 9 January: the guardian's erasure request is rejected with a reason ------------------
    year.days(2)
    rejected = year.decide(for_child["id"], False, "Ola is a pupil; the data is needed")
    assert rejected["status"] == "REJECTED"
    assert year.notifications("foresatt.kari", "DATA_REQUEST_REJECTED")

    # --- 14 January: an objection nobody answers ----------------------------------------------
    year.days(5)
    objection = year.submit("elev.jakob", "OBJECTION", message="Jeg protesterer")
    assert day_of(objection["dueAt"]) == "2027-02-14"

    # --- 29 January: the letter is due within a week: the daily reminder, listed first ----------
    reminded_before = len(year.notifications(ADMIN, "DATA_REQUESTS_REMINDER"))
    year.to(datetime(2027, 1, 29, 8, 0, tzinfo=UTC))
    year.eventually(
        lambda: len(year.notifications(ADMIN, "DATA_REQUESTS_REMINDER")) > reminded_before
    )
    assert year.notifications(ADMIN2, "DATA_REQUESTS_REMINDER")
    assert year.queue()[0] == letter["id"]
    assert year.queue(overdue=True) == []

    # --- 1 February: the letter's request is extended by two months, once -----------------------
    year.to(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    extended = ok(
        live.gql(EXTEND, {"r": letter["id"], "why": "Waiting for the roster"}, as_user=ADMIN)
    )
    assert day_of(extended["extendedTo"]) == "2027-04-04"
    refused(live.gql(EXTEND, {"r": letter["id"], "why": "Again"}, as_user=ADMIN), "CONFLICT")
    assert year.notifications("elev.sara", "DATA_REQUEST_EXTENDED")

    # --- 15 February: the objection is overdue, the extended letter is not ----------------------
    year.to(datetime(2027, 2, 15, 9, 0, tzinfo=UTC))
    assert year.queue(overdue=True) == [objection["id"]]
    assert year.queue()[0] == objection["id"]

    # --- 20 March: the letter is accepted and fulfilled by a rectification ----------------------
    year.to(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    year.decide(letter["id"], True, "The name change is documented")
    ok(live.gql(RECTIFY, {"s": sara, "j": JUSTIFICATION, "d": letter["id"]}, as_user=ADMIN))
    done = year.request(letter["id"])
    assert done["status"] == "COMPLETED" and [a["action"] for a in done["actions"]] == ["RECTIFY"]

    # --- 4 May: a second pupil leaves --------------------------------------------------------
    year.to(datetime(2027, 5, 4, 9, 0, tzinfo=UTC))
    restrict(live, "elev.isak")
    assert year.expired() == set()

    # --- 3 July: the first leaver's retention (six months) has not quite run out --------------
    year.to(datetime(2027, 7, 3, 9, 0, tzinfo=UTC))
    assert year.expired() == set()
    told_before = len(year.notifications(ADMIN, "RETENTION_EXPIRED"))

    # --- 5 July: it has; the daily job tells the administrators; the bin is emptied -------------
    year.to(datetime(2027, 7, 5, 9, 0, tzinfo=UTC))
    assert year.expired() == {filip}
    year.eventually(lambda: len(year.notifications(ADMIN, "RETENTION_EXPIRED")) > told_before)
    first = empty_the_recycle_bin(year, {filip})
    assert first["itemCounts"]["erased"] == 1
    assert year.expired() == set()
    assert isak not in year.expired()

    # --- 5 November: the second leaver's retention has run out too -------------------------------
    year.to(datetime(2027, 11, 5, 9, 0, tzinfo=UTC))
    assert year.expired() == {isak}
    second = empty_the_recycle_bin(year, {isak})
    assert second["itemCounts"] == {
        "total": 1,
        "pending": 0,
        "erased": 1,
        "skipped": 0,
        "failed": 0,
    }

    # --- 30 December: the objection, still open, is finally answered ---------------------------
    year.to(datetime(2027, 12, 30, 9, 0, tzinfo=UTC))
    assert objection["id"] in year.queue(overdue=True)
    year.decide(objection["id"], False, "Processing is necessary for the school's task")
    assert year.queue(overdue=True) == []
    assert ola not in year.expired() and jakob not in year.expired()

    # the year's audit log still verifies (justifications are in it only as digests)
    verified = subprocess.run(
        [*TAVLE, "audit", "verify", "--database-url", live.database_url],
        cwd=REPO,
        env=dict(os.environ, TAVLE_DATA_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
