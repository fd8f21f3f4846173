"""``GET /privacy/exports/{requestId}`` through a real gateway (uvicorn, HTTP, a real database).

The export rows and files are put in place directly: producing them is the export job's
business, tested with it. Also here: the gateway's own worker runs a handler registered in
``AppState.job_handlers`` after start-up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_support import BACKENDS, fresh_database
from gateway_support import LiveGateway, run_gateway
from jobs_support import hours
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from config.ids import to_global_id
from store import jobs
from store import tables as t
from store.db import make_engine
from store.tables import ExportFormat, PrivacyAction, PrivacyRequestStatus

R, A = t.privacy_requests.c, t.audit_entries.c
ADMIN, TEACHER = "admin", "larer.hansen"
XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<export><person>\xc3\x98ystein</person></export>\n'


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"exports-{backend}")
    with (
        fresh_database(backend, folder, prefix="tavle_exports") as url,
        run_gateway(backend, url, folder, job_poll_seconds=0.05) as live,
    ):
        yield live


def insert_export(live: LiveGateway, **values: Any) -> tuple[int, str]:
    """A privacy request row (default: a finished XML export of a student); its pk and id."""
    row: dict[str, Any] = {
        "action": PrivacyAction.EXPORT,
        "status": PrivacyRequestStatus.COMPLETED,
        "subject_id": live.person_pk("elev.ola"),
        "requested_by_id": live.person_pk(ADMIN),
        "justification": "art. 15 request",
        "created_at": datetime.now(UTC),
        "format": ExportFormat.XML,
        "expires_at": hours(24),
        **values,
    }

    async def insert() -> int:
        engine = make_engine(live.database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(
                    t.privacy_requests.insert().values(**row).returning(R.id)
                )
                return int(result.scalar_one())
        finally:
            await engine.dispose()

    pk = asyncio.run(insert())
    return pk, to_global_id("PrivacyRequest", pk)


def export_file(live: LiveGateway, name: str, content: bytes = XML) -> Path:
    folder = live.state.settings.export_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def download(live: LiveGateway, request_id: str, user: str | None = ADMIN) -> httpx.Response:
    headers = {} if user is None else {"Authorization": f"Bearer {live.token(user)}"}
    return live.client.get(f"{live.url}/privacy/exports/{request_id}", headers=headers)


def last_audit(live: LiveGateway) -> Any:
    return live.rows(select(t.audit_entries).order_by(A.id.desc()).limit(1))[0]


def test_a_system_administrator_downloads_the_file(gateway: LiveGateway) -> None:
    export_file(gateway, "a.xml")
    pk, request_id = insert_export(gateway, file_name="a.xml")

    response = download(gateway, request_id)

    assert response.status_code == 200, response.text
    assert response.content == XML
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="tavle-export-{request_id}.xml"'
    )
    assert response.headers["cache-control"] == "no-store"
    entry = last_audit(gateway)
    assert (entry.action, entry.actor_id, entry.target_type, entry.target_id, entry.subject_id) == (
        "DOWNLOAD_EXPORT",
        gateway.person_pk(ADMIN),
        "PrivacyRequest",
        pk,
        gateway.person_pk("elev.ola"),
    )


def test_each_download_is_audited(gateway: LiveGateway) -> None:
    export_file(gateway, "twice.json", b'{"person": {}}')
    pk, request_id = insert_export(gateway, file_name="twice.json", format=ExportFormat.JSON)
    count = select(func.count()).where(A.action == "DOWNLOAD_EXPORT", A.target_id == pk)

    for _ in range(2):
        response = download(gateway, request_id, "admin2")
        assert response.status_code == 200
        assert response.content == b'{"person": {}}'
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["content-disposition"].endswith(f'{request_id}.json"')
    assert gateway.scalar(count) == 2


def test_other_callers_learn_nothing(gateway: LiveGateway) -> None:
    export_file(gateway, "secret.xml")
    pk, request_id = insert_export(gateway, file_name="secret.xml")
    unknown = to_global_id("PrivacyRequest", pk + 1000)
    before = gateway.scalar(select(func.count()).select_from(t.audit_entries))

    for some_id in (request_id, unknown):
        teacher = download(gateway, some_id, TEACHER)
        assert teacher.status_code == 403
        assert teacher.json()["error"]["code"] == "FORBIDDEN"
        anonymous = download(gateway, some_id, None)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        forged = gateway.client.get(
            f"{gateway.url}/privacy/exports/{some_id}", headers={"Authorization": "Bearer x.y.z"}
        )
        assert forged.status_code == 401
        assert XML not in teacher.content + anonymous.content + forged.content
    after = gateway.scalar(select(func.count()).select_from(t.audit_entries))
    assert after == before


@pytest.mark.parametrize(
    "request_id",
    [
        to_global_id("PrivacyRequest", 999_999),
        to_global_id("User", 1),
        "not-an-id",
        to_global_id("PrivacyRequest", "x"),
    ],
)
def test_unknown_ids_are_not_found(gateway: LiveGateway, request_id: str) -> None:
    response = download(gateway, request_id)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_a_request_that_is_not_an_export_is_not_found(gateway: LiveGateway) -> None:
    _pk, request_id = insert_export(gateway, action=PrivacyAction.RESTRICT, format=None)
    assert download(gateway, request_id).status_code == 404


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        # RUNNING elsewhere with a live lease: this gateway's worker leaves it alone
        (PrivacyRequestStatus.RUNNING, {"worker": "elsewhere", "lease_until": hours(24)}),
        (PrivacyRequestStatus.FAILED, {"error": "the export job failed"}),
        (PrivacyRequestStatus.CANCELLED, {}),
    ],
)
def test_an_unfinished_export_is_a_conflict(
    gateway: LiveGateway, status: PrivacyRequestStatus, extra: dict[str, Any]
) -> None:
    _pk, request_id = insert_export(gateway, status=status, expires_at=None, **extra)
    response = download(gateway, request_id)
    assert response.status_code == 409
    assert status in response.json()["error"]["message"]


def test_an_expired_export_is_gone_and_its_file_deleted(gateway: LiveGateway) -> None:
    path = export_file(gateway, "old.xml")
    pk, request_id = insert_export(gateway, file_name="old.xml", expires_at=hours(-1))

    response = download(gateway, request_id)

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "EXPIRED"
    assert not path.exists()
    assert gateway.scalar(select(R.file_name).where(R.id == pk)) is None
    assert download(gateway, request_id).status_code == 410


def test_a_missing_file_is_gone(gateway: LiveGateway) -> None:
    _pk, request_id = insert_export(gateway, file_name="never-written.xml")
    assert download(gateway, request_id).status_code == 410


def test_the_gateways_worker_runs_registered_handlers(gateway: LiveGateway) -> None:
    """The lifespan starts a worker that reads ``AppState.job_handlers`` on every poll."""
    ran: list[int] = []

    async def handler(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        ran.append(request_id)
        async with engine.begin() as conn:
            await jobs.finish(conn, request_id, worker_id, effects='[{"count": 1}]')

    gateway.state.job_handlers[PrivacyAction.RECTIFY] = handler
    try:
        pk, _id = insert_export(
            gateway, action=PrivacyAction.RECTIFY, status=PrivacyRequestStatus.QUEUED, format=None
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status = gateway.scalar(select(R.status).where(R.id == pk))
            if status == PrivacyRequestStatus.COMPLETED:
                break
            time.sleep(0.05)
    finally:
        del gateway.state.job_handlers[PrivacyAction.RECTIFY]
    assert status == PrivacyRequestStatus.COMPLETED
    assert ran == [pk]
