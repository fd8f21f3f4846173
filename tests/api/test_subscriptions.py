"""Subscriptions over graphql-transport-ws against a real gateway (uvicorn, one process) and a
real WebSocket client, on SQLite and PostgreSQL (docs/interfaces.md, "Subscriptions").

Role by role: a participant of a conversation receives its messages, a non-participant does
not, a guardian receives their own notifications and nobody else's; a denied field is null with
FORBIDDEN in that event's errors; a conversation the viewer does not take part in is NOT_FOUND;
restricted people and expired tokens have their connection closed with 4403.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from read_support import SEND, mutate
from sqlalchemy import select
from subscription_support import MESSAGE_ADDED, NOTIFICATION_ADDED, Subscriber, wait_registered
from websockets.exceptions import InvalidStatus

from config.ids import to_global_id
from resolvers.events import Event, Topic, publish
from store import tables as t
from store.db import make_engine
from store.tables import ProcessingState

ADMIN = "admin"
JUSTIFICATION = "Request from the person, ticket PV-2026-17 (GDPR chapter 3)"
RESTRICT = """
mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, justification: $j) { id } }"""
LIFT = """
mutation($s: ID!, $j: String!) { liftRestriction(subjectId: $s, justification: $j) { id } }"""


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param,
        tmp_path_factory,
        "subscriptions",
        subscription_check_seconds=0.5,
        subscription_ping_seconds=0.5,
        subscriptions_per_connection=3,
        subscriptions_per_person=4,
    ) as gateway:
        yield gateway


def start_conversation(live: LiveGateway, sender: str, recipient: str, body: str) -> str:
    """A new conversation of ``sender`` and ``recipient``; its id."""
    message = mutate(live, sender, SEND, to=[live.person_id(recipient)], conv=None, body=body)
    pk = live.scalar(
        select(t.messages.c.conversation_id).where(t.messages.c.id == int(_local(message["id"])))
    )
    return to_global_id("Conversation", pk)


def _local(global_id: str) -> int:
    from config.ids import from_global_id

    return from_global_id(global_id)[1]


def send(live: LiveGateway, sender: str, conversation: str, body: str) -> str:
    found: str = mutate(live, sender, SEND, to=None, conv=conversation, body=body)["id"]
    return found


def test_participant_receives_and_non_participant_does_not(live: LiveGateway) -> None:
    conversation = start_conversation(live, "elev.ola", "larer.dahl", "Hei")
    other = start_conversation(live, "elev.jakob", "larer.hansen", "Hallo")
    with (
        Subscriber.of(live.url, live.token("larer.dahl")) as dahl,
        Subscriber.of(live.url, live.token("elev.jakob")) as jakob,
    ):
        base = live.state.events.registered(Topic.MESSAGE)
        dahl.subscribe("1", MESSAGE_ADDED)
        jakob.subscribe("1", MESSAGE_ADDED)
        # both subscriptions in place (once their documents validated) before anything is sent
        wait_registered(live.state.events, Topic.MESSAGE, base + 2)
        sent = send(live, "elev.ola", conversation, "Jeg er syk")
        payload = dahl.next_payload("1")
        assert "errors" not in payload, payload
        assert payload["data"]["messageAdded"] == {
            "id": sent,
            "body": "Jeg er syk",
            "author": {"id": live.person_id("elev.ola")},
        }
        # jakob's first event is the message of his own conversation, sent after ola's
        own = send(live, "larer.hansen", other, "Svar")
        assert jakob.next_payload("1")["data"]["messageAdded"]["id"] == own
        assert dahl.nothing_within(0.5)


def test_removed_participant_stops_receiving(live: LiveGateway) -> None:
    conversation = start_conversation(live, "elev.amina", "larer.hansen", "Spørsmål")
    cp = t.conversation_participants.c
    with (
        Subscriber.of(live.url, live.token("larer.hansen")) as hansen,
        Subscriber.of(live.url, live.token("elev.amina")) as amina,
    ):
        base = live.state.events.registered(Topic.MESSAGE)
        hansen.subscribe("1", MESSAGE_ADDED)
        amina.subscribe("1", MESSAGE_ADDED)
        wait_registered(live.state.events, Topic.MESSAGE, base + 2)
        first = send(live, "elev.amina", conversation, "Før")
        assert hansen.next_payload("1")["data"]["messageAdded"]["id"] == first
        assert amina.next_payload("1")["data"]["messageAdded"]["id"] == first
        # hansen leaves the conversation (an operator's change: the event is checked again)
        live.execute(
            t.conversation_participants.delete().where(
                cp.conversation_id == _local(conversation),
                cp.person_id == live.person_pk("larer.hansen"),
            )
        )
        second = send(live, "elev.amina", conversation, "Etter")
        assert amina.next_payload("1")["data"]["messageAdded"]["id"] == second
        assert hansen.nothing_within(0.5)


def test_conversation_filter_and_not_found(live: LiveGateway) -> None:
    mine = start_conversation(live, "elev.sara", "larer.dahl", "En")
    elsewhere = start_conversation(live, "elev.amina", "larer.dahl", "To")
    with Subscriber.of(live.url, live.token("larer.dahl")) as dahl:
        base = live.state.events.registered(Topic.MESSAGE)
        dahl.subscribe("only", MESSAGE_ADDED, {"c": mine})
        wait_registered(live.state.events, Topic.MESSAGE, base + 1)
        send(live, "elev.amina", elsewhere, "Ikke denne")
        wanted = send(live, "elev.sara", mine, "Denne")
        assert dahl.next_payload("only")["data"]["messageAdded"]["id"] == wanted
    with Subscriber.of(live.url, live.token("elev.jakob")) as jakob:
        jakob.subscribe("x", MESSAGE_ADDED, {"c": mine})
        message = jakob.receive()
        # the protocol's "error" message: the operation ends with it
        assert message["id"] == "x" and message["type"] == "error", message
        assert [e["extensions"]["code"] for e in message["payload"]] == ["NOT_FOUND"]
        assert message["payload"][0]["path"] == ["messageAdded"]


def test_denied_field_is_null_with_forbidden_in_each_event(live: LiveGateway) -> None:
    conversation = start_conversation(live, "larer.dahl", "elev.emma", "Hei Emma")
    query = "subscription { messageAdded { body author { id nationalId } } }"
    with Subscriber.of(live.url, live.token("elev.emma")) as emma:
        base = live.state.events.registered(Topic.MESSAGE)
        emma.subscribe("1", query)
        wait_registered(live.state.events, Topic.MESSAGE, base + 1)
        for body in ("Første", "Andre"):
            send(live, "larer.dahl", conversation, body)
            payload = emma.next_payload("1")
            message = payload["data"]["messageAdded"]
            assert message["body"] == body
            assert message["author"] == {"id": live.person_id("larer.dahl"), "nationalId": None}
            assert [
                (e["extensions"]["code"], e["extensions"]["coordinate"], e["path"])
                for e in payload["errors"]
            ] == [("FORBIDDEN", "User.nationalId", ["messageAdded", "author", "nationalId"])]


def test_a_national_id_read_in_an_event_is_audited(live: LiveGateway) -> None:
    conversation = start_conversation(live, "admin", "elev.sara", "Hei Sara")
    audit = t.audit_entries.c
    query = "subscription { messageAdded { body author { nationalId } } }"
    with Subscriber.of(live.url, live.token("admin")) as admin:
        base = live.state.events.registered(Topic.MESSAGE)
        admin.subscribe("1", query)
        wait_registered(live.state.events, Topic.MESSAGE, base + 1)
        before = live.scalar(select(audit.id).order_by(audit.id.desc()).limit(1))
        send(live, "elev.sara", conversation, "Hei")
        payload = admin.next_payload("1")
        assert "errors" not in payload and payload["data"]["messageAdded"]["author"]["nationalId"]
        admin.send({"id": "1", "type": "complete"})  # the operation ends: its reads are written
        deadline = time.monotonic() + 5
        while True:
            entries = live.rows(
                select(audit.actor_id, audit.action, audit.target_id).where(audit.id > before)
            )
            reads = [tuple(e) for e in entries if e.action == "READ_NATIONAL_ID"]
            if reads or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert reads == [(live.person_pk("admin"), "READ_NATIONAL_ID", live.person_pk("elev.sara"))]


def test_notifications_are_the_viewers_own(live: LiveGateway) -> None:
    kari, knut = live.person_pk("foresatt.kari"), live.person_pk("foresatt.knut")

    async def notify() -> list[int]:
        engine = make_engine(live.database_url)
        try:
            ids = []
            async with engine.begin() as conn:
                for person in (knut, kari):
                    result = await conn.execute(
                        t.notifications.insert().values(
                            person_id=person,
                            kind="TEST",
                            message="Foreldremøte",
                            created_at=datetime.now(UTC),
                        )
                    )
                    ids.append(int(result.inserted_primary_key[0]))
            await publish(
                engine,
                *(Event(Topic.NOTIFICATION, i, p) for i, p in zip(ids, (knut, kari), strict=True)),
            )
            return ids
        finally:
            await engine.dispose()

    with Subscriber.of(live.url, live.token("foresatt.kari")) as guardian:
        base = live.state.events.registered(Topic.NOTIFICATION)
        guardian.subscribe("n", NOTIFICATION_ADDED)
        wait_registered(live.state.events, Topic.NOTIFICATION, base + 1)
        _knuts, karis = asyncio.run(notify())
        payload = guardian.next_payload("n")
        assert payload == {
            "data": {
                "notificationAdded": {
                    "id": to_global_id("Notification", karis),
                    "kind": "TEST",
                    "message": "Foreldremøte",
                }
            }
        }
        assert guardian.nothing_within(0.5)


def test_restricted_person_is_closed_and_lifting_notifies(live: LiveGateway) -> None:
    subject = live.person_id("foresatt.geir")
    with (
        Subscriber.of(live.url, live.token("foresatt.geir")) as geir,
        Subscriber.of(live.url, live.token("foresatt.anne")) as anne,
    ):
        base = live.state.events.registered(Topic.NOTIFICATION)
        geir.subscribe("n", NOTIFICATION_ADDED)
        anne.subscribe("n", NOTIFICATION_ADDED)
        wait_registered(live.state.events, Topic.NOTIFICATION, base + 2)
        mutate(live, ADMIN, RESTRICT, s=subject, j=JUSTIFICATION)
        code, reason = geir.close_code()
        assert code == 4403 and "may no longer use" in reason
        mutate(live, ADMIN, LIFT, s=subject, j=JUSTIFICATION)
        assert anne.nothing_within(0.5)  # geir's notification is his own
    assert live.scalar(
        select(t.people.c.processing_state).where(t.people.c.id == live.person_pk("foresatt.geir"))
    ) in {ProcessingState.ACTIVE, ProcessingState.ACTIVE.value}


def test_expired_token_closes_the_connection(live: LiveGateway) -> None:
    token = live.state.authenticator.mint_development_token("elev.ola", ttl_seconds=2)
    with Subscriber.of(live.url, token) as ola:
        ola.subscribe("1", MESSAGE_ADDED)
        started = time.monotonic()
        code, reason = ola.close_code(timeout=10)
        assert code == 4403 and "expired" in reason
        assert time.monotonic() - started < 5
        assert ola.pings >= 1  # keep-alive pings while it was open


@pytest.mark.parametrize(
    ("payload", "headers"),
    [
        pytest.param({"authToken": "TOKEN"}, None, id="urql-authToken"),
        pytest.param({"authorization": "Bearer TOKEN"}, None, id="lowercase-authorization"),
        pytest.param({}, {"Authorization": "Bearer TOKEN"}, id="upgrade-header"),
    ],
)
def test_token_places(
    live: LiveGateway, payload: dict[str, str], headers: dict[str, str] | None
) -> None:
    token = live.token("elev.ola")
    filled = {k: v.replace("TOKEN", token) for k, v in payload.items()}
    sent = {k: v.replace("TOKEN", token) for k, v in (headers or {}).items()} or None
    with Subscriber(live.url, filled, sent) as ola:
        ola.expect_ack()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer not.a.token"}, id="invalid"),
        pytest.param({"authToken": "EXPIRED"}, id="expired"),
    ],
)
def test_refused_at_init_with_4403(live: LiveGateway, payload: dict[str, str]) -> None:
    if payload.get("authToken") == "EXPIRED":
        token = live.state.authenticator.mint_development_token("elev.ola", ttl_seconds=1)
        time.sleep(1.5)
        payload = {"authToken": token}
    with Subscriber(live.url, payload) as refused:
        code, reason = refused.close_code()
        assert code == 4403 and reason.startswith("Forbidden"), reason


def test_a_subscription_over_http_is_refused(live: LiveGateway) -> None:
    response = live.client.post(
        f"{live.url}/graphql",
        json={"query": "subscription { notificationAdded { id } }"},
        headers={"Authorization": f"Bearer {live.token('elev.ola')}"},
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", body
    assert "WebSocket" in body["errors"][0]["message"]


def test_a_page_on_another_origin_may_not_open_the_socket(live: LiveGateway) -> None:
    with pytest.raises(InvalidStatus) as refused:
        Subscriber(live.url, headers={"Origin": "https://elsewhere.example"}, init=False)
    assert refused.value.response.status_code == 403


def test_queries_and_mutations_are_not_served_over_the_websocket(live: LiveGateway) -> None:
    with Subscriber.of(live.url, live.token("elev.ola")) as ola:
        ola.subscribe("q", "{ viewer { id } }")
        message = ola.receive()
        assert message["id"] == "q" and message["type"] == "error", message


def test_limits(live: LiveGateway) -> None:
    with Subscriber.of(live.url, live.token("elev.ola")) as ola:
        for n in range(3):
            ola.subscribe(str(n), MESSAGE_ADDED)
        ola.subscribe("4", MESSAGE_ADDED)
        message = ola.receive()
        assert message["type"] == "error" and message["id"] == "4", message
        # the document limits apply to subscription documents too
        ola.send({"id": "1", "type": "complete"})
        time.sleep(0.2)
        deep = "subscription { messageAdded { " + "author { courses { edges { node { " * 5
        deep += "id" + " } } } }" * 5 + " } }"
        ola.subscribe("deep", deep)
        message = ola.receive()
        assert message["id"] == "deep" and message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_DEEP", message
        # ola runs 2 subscriptions here ("0" and "2"): two more on another connection, then
        # the person's limit (4)
        with Subscriber.of(live.url, live.token("elev.ola")) as again:
            for op_id in ("a", "b", "c"):
                again.subscribe(op_id, MESSAGE_ADDED)
            message = again.receive()
            assert message["id"] == "c" and message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT"
            again.send({"id": "a", "type": "complete"})
            time.sleep(0.3)
            again.subscribe("d", MESSAGE_ADDED)  # a finished operation no longer counts
            assert again.nothing_within(0.5)
    # closing the connection ends its operations: the person may subscribe again
    with Subscriber.of(live.url, live.token("elev.ola")) as later:
        for n in range(3):
            later.subscribe(str(n), MESSAGE_ADDED)
        assert later.nothing_within(0.5)


# --- what other people's events cost a subscriber ---------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def quiet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """A gateway whose connections are not checked periodically within a test (so every
    caller lookup counted is one an event or a request caused)."""
    with own_gateway(
        request.param,
        tmp_path_factory,
        "subscriptions-quiet",
        subscription_check_seconds=3600,
        subscription_ping_seconds=3600,
    ) as gateway:
        yield gateway


def caller_lookups(statements: list[str]) -> int:
    """The statements that find a caller (``resolvers.viewer.find_caller_by``)."""
    return sum("match_0" in s and "conversation_links" in s for s in statements)


def test_other_peoples_messages_cost_a_subscriber_no_statement(quiet: LiveGateway) -> None:
    listeners = ["elev.sara", "elev.amina", "elev.emma"]
    elsewhere = start_conversation(quiet, "elev.jakob", "larer.hansen", "Hei")

    def round_of_messages(body: str, subscribers: list[Subscriber]) -> int:
        """Three messages in a conversation of none of ``listeners``, then one in a new
        conversation of all of them (received by each subscriber: the earlier events are
        behind them); the caller lookups meanwhile."""
        with quiet.count_sql() as statements:
            for n in range(3):
                send(quiet, "elev.jakob", elsewhere, f"{body} {n}")
            to = [quiet.person_id(name) for name in listeners]
            group = mutate(quiet, "larer.dahl", SEND, to=to, conv=None, body=body)["id"]
            for subscriber in subscribers:
                # a conversation begun after they subscribed reaches them too
                assert subscriber.next_payload("1")["data"]["messageAdded"]["id"] == group
            return caller_lookups(statements)

    requests_alone = round_of_messages("Uten lyttere", [])
    assert requests_alone > 0  # the senders' own requests
    with contextlib.ExitStack() as stack:
        subscribers = [
            stack.enter_context(Subscriber.of(quiet.url, quiet.token(name))) for name in listeners
        ]
        base = quiet.state.events.registered(Topic.MESSAGE)
        for subscriber in subscribers:
            subscriber.subscribe("1", MESSAGE_ADDED)
        wait_registered(quiet.state.events, Topic.MESSAGE, base + len(subscribers))
        counted = round_of_messages("Med lyttere", subscribers)
        # one lookup per subscriber, for the message that is theirs; none for the others
        assert counted == requests_alone + len(listeners)
        for subscriber in subscribers:
            assert subscriber.nothing_within(0.3)


def test_a_subscriber_removed_from_a_conversation_is_checked_again(quiet: LiveGateway) -> None:
    # the viewer last checked still takes part: the event is looked at, the viewer loaded
    # again, and the message dropped
    conversation = start_conversation(quiet, "elev.sara", "larer.dahl", "Spørsmål")
    cp = t.conversation_participants.c
    with Subscriber.of(quiet.url, quiet.token("larer.dahl")) as dahl:
        base = quiet.state.events.registered(Topic.MESSAGE)
        dahl.subscribe("1", MESSAGE_ADDED)
        wait_registered(quiet.state.events, Topic.MESSAGE, base + 1)
        quiet.execute(
            t.conversation_participants.delete().where(
                cp.conversation_id == _local(conversation),
                cp.person_id == quiet.person_pk("larer.dahl"),
            )
        )
        send(quiet, "elev.sara", conversation, "Etter")
        assert dahl.nothing_within(0.5)


def test_an_event_names_the_people_of_a_conversation_it_opens() -> None:
    for event in (
        Event(Topic.MESSAGE, 7, 3),
        Event(Topic.MESSAGE, 7, 3, (12, 40, 41)),
        Event(Topic.NOTIFICATION, 9, 12),
    ):
        assert Event.decode(event.encode()) == event
    assert Event(Topic.MESSAGE, 7, 3, (12, 40)).encode() == "m:7:3:12,40"
    for payload in ("m:7", "m:7:3:1:2", "m:7:3:x", "x:1:2", "m:7:3:"):
        assert Event.decode(payload) is None
