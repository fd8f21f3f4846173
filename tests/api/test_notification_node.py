"""``Notification`` is a node (docs/interfaces.md, "Ids"; docs/access-policy.md, "Notification"):
``node(id:)`` resolves a notification for the person it is addressed to, with its fields, under
the same id ``User.notifications``, ``notificationsConnection`` and ``markNotificationsRead`` use
(``Notification:<row id>``, unchanged). Anyone else, role by role (peers, guardians, teachers,
the school's leaders and superusers, system administrators), gets ``NOT_FOUND``, as for an id
that names nothing; a string that is not one of our ids answers ``BAD_USER_INPUT``.

The module inserts notifications, so it runs on a database of its own, on SQLite and PostgreSQL,
and asks both executors: the compiled one and the generic one (``compiled_execution=False``),
each a gateway on the same database.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway, run_gateway
from read_support import NOT_FOUND

from config.ids import to_global_id
from store import tables as t

BAD_USER_INPUT = "BAD_USER_INPUT"


@dataclass(frozen=True)
class Gateways:
    compiled: LiveGateway
    generic: LiveGateway

    @property
    def both(self) -> list[tuple[str, LiveGateway]]:
        return [("compiled", self.compiled), ("generic", self.generic)]


@pytest.fixture(scope="module", params=BACKENDS)
def gateways(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateways]:
    with own_gateway(request.param, tmp_path_factory, "notification-node") as compiled:
        folder = tmp_path_factory.mktemp(f"notification-node-generic-{request.param}")
        with run_gateway(
            request.param, compiled.database_url, folder, compiled_execution=False
        ) as generic:
            yield Gateways(compiled, generic)


@dataclass(frozen=True)
class Stage:
    #: elev.ola's notifications (global ids), in id order, and their rows
    ola: list[str]
    ola_rows: dict[str, tuple[str, str]]
    #: foresatt.kari's (elev.ola's guardian) notification
    kari: str


def _insert(live: LiveGateway, username: str, kind: str, message: str, hour: int) -> str:
    (result,) = live.execute(
        t.notifications.insert().values(
            person_id=live.person_pk(username),
            kind=kind,
            message=message,
            created_at=datetime(2099, 3, 1, hour, tzinfo=UTC),
        )
    )
    return to_global_id("Notification", int(result.inserted_primary_key[0]))


@pytest.fixture(scope="module")
def stage(gateways: Gateways) -> Stage:
    live = gateways.compiled
    rows = {
        _insert(live, "elev.ola", f"TEST_{n}", f"Melding {n}", n): (f"TEST_{n}", f"Melding {n}")
        for n in range(3)
    }
    kari = _insert(live, "foresatt.kari", "TEST_KARI", "Til foresatt", 5)
    return Stage(list(rows), rows, kari)


NODE = (
    "query($id: ID!) { node(id: $id) { __typename id "
    "... on Notification { kind message createdAt readAt } } }"
)


def test_own_notification_resolves_with_its_fields(gateways: Gateways, stage: Stage) -> None:
    for label, live in gateways.both:
        for global_id, (kind, message) in stage.ola_rows.items():
            result = live.gql(NODE, {"id": global_id}, as_user="elev.ola")
            assert result.errors == [], (label, result.errors)
            node = result.data["node"]
            assert node["__typename"] == "Notification", label
            assert node["id"] == global_id, label
            assert (node["kind"], node["message"]) == (kind, message), label
            assert node["createdAt"].startswith("2099-03-01T"), (label, node)
        result = live.gql(NODE, {"id": stage.kari}, as_user="foresatt.kari")
        assert result.errors == [], (label, result.errors)
        assert result.data["node"]["message"] == "Til foresatt", label


def test_ids_are_the_ones_the_lists_and_the_mutation_use(gateways: Gateways, stage: Stage) -> None:
    lists = (
        "{ viewer { notifications { id kind } "
        "notificationsConnection(first: 500) { edges { node { id kind } } } } }"
    )
    for label, live in gateways.both:
        result = live.gql(lists, as_user="elev.ola")
        assert result.errors == [], (label, result.errors)
        viewer = result.data["viewer"]
        listed = [n["id"] for n in viewer["notifications"] if n["kind"].startswith("TEST_")]
        paged = [
            e["node"]["id"]
            for e in viewer["notificationsConnection"]["edges"]
            if e["node"]["kind"].startswith("TEST_")
        ]
        assert listed == paged == stage.ola, label
    # the id node() resolves is the one markNotificationsRead takes and answers
    live = gateways.compiled
    target = stage.ola[-1]
    marked = live.gql(
        "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { __typename id readAt } }",
        {"ids": [target]},
        as_user="elev.ola",
    )
    assert marked.errors == [], marked.errors
    (changed,) = marked.data["markNotificationsRead"]
    assert changed["__typename"] == "Notification"
    assert changed["id"] == target
    assert changed["readAt"] is not None
    for label, live in gateways.both:
        node = live.gql(NODE, {"id": target}, as_user="elev.ola").data["node"]
        assert node["readAt"] == changed["readAt"], label


#: (label, viewer): every other role, each holding some relation to elev.ola (or none)
OTHERS: list[tuple[str, str]] = [
    ("course_peer-student", "elev.jakob"),
    ("guardian", "foresatt.kari"),
    ("course_teacher", "larer.dahl"),
    ("contact_teacher", "larer.hansen"),
    ("school_teacher-not-teaching", "larer.lie"),
    ("teacher-at-other-school", "larer.nilsen"),
    ("school_leader", "rektor.bjolsen"),
    ("superuser", "superuser.bjolsen"),
    ("sysadmin", "admin"),
]


def _assert_not_found(live: LiveGateway, viewer: str, global_id: str, label: str) -> None:
    result = live.gql(NODE, {"id": global_id}, as_user=viewer)
    assert result.data["node"] is None, (label, result.data)
    assert result.code_at("node") == NOT_FOUND, (label, result.errors)
    assert len(result.errors) == 1, (label, result.errors)


@pytest.mark.parametrize(("label", "viewer"), OTHERS, ids=[label for label, _ in OTHERS])
def test_someone_elses_notification_is_not_found(
    gateways: Gateways, stage: Stage, label: str, viewer: str
) -> None:
    for executor, live in gateways.both:
        _assert_not_found(live, viewer, stage.ola[0], f"{executor}/{label}")


def test_a_guardians_notification_is_not_found_for_the_child(
    gateways: Gateways, stage: Stage
) -> None:
    for executor, live in gateways.both:
        _assert_not_found(live, "elev.ola", stage.kari, f"{executor}/child")


def test_an_id_naming_no_notification_is_not_found(gateways: Gateways, stage: Stage) -> None:
    for executor, live in gateways.both:
        _assert_not_found(live, "elev.ola", to_global_id("Notification", 2**31 - 1), executor)


def _spelled(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "bad",
    [
        "not-an-id",
        _spelled("Notification:abc"),
        _spelled("Notification:0"),
        # another spelling of an id that exists: not one of ours
        "leading-zero",
    ],
)
def test_malformed_id_is_bad_user_input(gateways: Gateways, stage: Stage, bad: str) -> None:
    if bad == "leading-zero":
        padded = stage.ola[0] + "=" * (-len(stage.ola[0]) % 4)
        pk = int(base64.urlsafe_b64decode(padded).decode().partition(":")[2])
        bad = _spelled(f"Notification:0{pk}")
    for executor, live in gateways.both:
        result = live.gql(NODE, {"id": bad}, as_user="elev.ola")
        assert result.data["node"] is None, (executor, result.data)
        assert result.code_at("node") == BAD_USER_INPUT, (executor, result.errors)
