"""The gateway answers over HTTP: health, readiness, an authenticated query, the public notice."""

from __future__ import annotations

from gateway_support import LiveGateway


def test_health_and_readiness(live: LiveGateway) -> None:
    assert live.client.get(f"{live.url}/healthz").json() == {"status": "ok"}
    ready = live.client.get(f"{live.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_viewer_is_the_caller(live: LiveGateway) -> None:
    result = live.gql("{ viewer { id displayName } }", as_user="larer.hansen")
    assert result.errors == []
    assert result.data["viewer"]["id"] == live.person_id("larer.hansen")
