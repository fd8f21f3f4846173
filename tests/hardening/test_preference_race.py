"""Saving the same preference twice at the same moment (two tabs, a double click) is one upsert:
both saves succeed, one row remains, holding one of the two values. Before, the second insert
failed on the primary key and answered ``INTERNAL_SERVER_ERROR`` on PostgreSQL (seen in the load
benchmark's mutation flood). Through HTTP on both backends, on a gateway of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from mutation_support import SET_PREFERENCE, ok
from race_support import Call, at_once
from sqlalchemy import select

from store import tables as t

STUDENT = "elev.ola"
ROUNDS = 12
SAVES_AT_ONCE = 4


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "preference-race") as gateway:
        yield gateway


def test_simultaneous_saves_of_one_preference_all_succeed_and_leave_one_row(
    live: LiveGateway,
) -> None:
    token = live.token(STUDENT)
    p = t.preferences.c
    for round_ in range(ROUNDS):
        key = f"race.theme.{round_}"
        values = [f"value-{i}" for i in range(SAVES_AT_ONCE)]
        results = at_once(
            live.url,
            *(Call(token, SET_PREFERENCE, {"key": key, "value": value}) for value in values),
        )
        for result in results:
            assert ok(result, "setPreference")["key"] == key
        rows = live.rows(
            select(p.value).where(p.person_id == live.person_pk(STUDENT), p.key == key)
        )
        assert len(rows) == 1
        assert rows[0].value in values
