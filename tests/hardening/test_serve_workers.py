"""``tavle serve --workers N`` (docs/operations.md, "Processes and workers").

A real ``tavle serve --workers 2`` on a fresh PostgreSQL database (the demo loaded once, by the
parent, before the workers start): both worker processes answer requests on the one port (the
test tells which worker holds a connection from /proc, see ``serve_support``); a change of the
policy file and of the JWKS file reaches each worker; SIGTERM to the parent stops all of them
and it exits 0. SQLite refuses more than one worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from db_support import fresh_database
from jwt.algorithms import RSAAlgorithm
from serve_support import REPO, TAVLE, ServedGateway, process_exists, tavle_serve
from sqlalchemy import insert, select

from authz.policy import DEFAULT_POLICY
from config.ids import to_global_id
from store import tables as t
from store.db import make_engine

ISSUER = "https://idp.example.test"
AUDIENCE = "tavle-gateway"
#: what "within seconds" means here: the policy file is looked at every 2 s, the JWKS file
#: every second, plus a request's latency on a busy machine
RELOAD_BOUND_SECONDS = 5.0
EMAIL_LINE = "p, self, User.email, read"


class Provider:
    def __init__(self) -> None:
        self.keys = {
            kid: rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for kid in ("old", "new")
        }

    def jwks(self, *kids: str) -> str:
        keys = [
            {
                **RSAAlgorithm.to_jwk(self.keys[kid].public_key(), as_dict=True),
                "kid": kid,
                "alg": "RS256",
                "use": "sig",
            }
            for kid in kids
        ]
        return json.dumps({"keys": keys})

    def token(self, kid: str, subject: str = "elev.ola") -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 600}
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def provider() -> Provider:
    return Provider()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-workers")


@pytest.fixture(scope="module")
def workers_database(folder: Path) -> Iterator[str]:
    with fresh_database("postgresql", folder, prefix="tavle_workers") as url:
        yield url


@pytest.fixture(scope="module")
def two_workers(provider: Provider, folder: Path, workers_database: str) -> Iterator[ServedGateway]:
    jwks = folder / "jwks.json"
    jwks.write_text(provider.jwks("old"), encoding="utf-8")
    policy = folder / "policy.csv"
    shutil.copyfile(DEFAULT_POLICY, policy)
    environment = {
        "TAVLE_DATA_DIR": str(folder / "data"),
        "TAVLE_JWKS_FILE": str(jwks),
        "TAVLE_OIDC_ISSUER": ISSUER,
        "TAVLE_OIDC_AUDIENCE": AUDIENCE,
        "TAVLE_POLICY_FILE": str(policy),
    }
    with tavle_serve(
        ["--workers", "2", "--database-url", workers_database, "--demo"], folder, environment
    ) as served:
        served.wait_ready()
        yield served


def email_of_viewer(served: ServedGateway, worker: int, token: str) -> tuple[Any, set[str]]:
    result = served.post(worker, "{ viewer { displayName email } }", token)
    codes = {str(error["extensions"]["code"]) for error in result.get("errors") or []}
    viewer = (result.get("data") or {}).get("viewer") or {}
    return viewer.get("email"), codes


def within(seconds: float, check: Any) -> None:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"still not the case after {seconds} s"
        time.sleep(0.05)


@pytest.mark.postgres
def test_two_worker_processes_serve_one_port(
    two_workers: ServedGateway, provider: Provider
) -> None:
    workers = two_workers.worker_pids()
    assert len(workers) == 2, workers
    assert two_workers.process.pid not in workers
    token = provider.token("old")
    for worker in workers:
        result = two_workers.post(worker, "{ viewer { displayName } }", token)
        assert result == {"data": {"viewer": {"displayName": "Ola Nordmann"}}}, result


@pytest.mark.postgres
def test_a_policy_change_reaches_every_worker(
    two_workers: ServedGateway, provider: Provider, folder: Path
) -> None:
    policy = folder / "policy.csv"
    original = policy.read_text(encoding="utf-8")
    token = provider.token("old")
    workers = two_workers.worker_pids()
    for worker in workers:
        email, codes = email_of_viewer(two_workers, worker, token)
        assert email and not codes
    # Reading one's own email is no longer granted: every worker applies it within seconds.
    assert EMAIL_LINE in original.splitlines()
    lines = [line for line in original.splitlines() if line.strip() != EMAIL_LINE]
    policy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        for worker in workers:
            within(
                RELOAD_BOUND_SECONDS,
                lambda worker=worker: (
                    email_of_viewer(two_workers, worker, token) == (None, {"FORBIDDEN"})
                ),
            )
    finally:
        policy.write_text(original, encoding="utf-8")
    for worker in workers:
        within(
            RELOAD_BOUND_SECONDS,
            lambda worker=worker: email_of_viewer(two_workers, worker, token)[1] == set(),
        )


@pytest.mark.postgres
def test_a_removed_signing_key_stops_working_in_every_worker(
    two_workers: ServedGateway, provider: Provider, folder: Path
) -> None:
    jwks = folder / "jwks.json"
    old = provider.token("old")
    workers = two_workers.worker_pids()
    for worker in workers:
        assert email_of_viewer(two_workers, worker, old)[1] == set()
    replacement = folder / "jwks.json.next"
    replacement.write_text(provider.jwks("new"), encoding="utf-8")
    os.replace(replacement, jwks)
    try:
        for worker in workers:
            within(
                RELOAD_BOUND_SECONDS,
                lambda worker=worker: (
                    email_of_viewer(two_workers, worker, old)[1] == {"UNAUTHENTICATED"}
                ),
            )
            assert email_of_viewer(two_workers, worker, provider.token("new"))[1] == set()
    finally:
        jwks.write_text(provider.jwks("old"), encoding="utf-8")


@pytest.mark.postgres
def test_a_change_reaches_the_viewer_each_worker_keeps(
    two_workers: ServedGateway, provider: Provider, workers_database: str
) -> None:
    """Each worker keeps Ola's viewer between requests (resolvers/viewer_cache.py). Enrolling
    her in a course of the other school, from another process, reaches both workers at their
    next request: the write raised the database's viewer epoch in its own transaction."""
    token = provider.token("old")
    workers = two_workers.worker_pids()

    def signed_in(worker: int) -> bool:
        result = two_workers.post(worker, "{ viewer { id } }", token)
        return bool((result.get("data") or {}).get("viewer"))

    def course_name(worker: int, course: str) -> Any:
        result = two_workers.post(worker, f'{{ course(id: "{course}") {{ name }} }}', token)
        return (result.get("data") or {}).get("course")

    async def nat9_and_ola() -> tuple[int, int]:
        engine = make_engine(workers_database)
        try:
            async with engine.connect() as conn:
                c, p = t.courses.c, t.people.c
                course = await conn.scalar(select(c.id).where(c.sourced_id == "c-sag-nat9"))
                ola = await conn.scalar(select(p.id).where(p.username == "elev.ola"))
                return int(course), int(ola)
        finally:
            await engine.dispose()

    async def enrol(course: int, person: int) -> None:
        engine = make_engine(workers_database)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(t.enrolments).values(
                        course_id=course,
                        person_id=person,
                        role=t.CourseRole.STUDENT,
                        source=t.DataSource.ADMINISTRATOR,
                    )
                )
        finally:
            await engine.dispose()

    course, ola = asyncio.run(nat9_and_ola())
    nat9 = to_global_id("Course", course)
    for worker in workers:
        # The signing-key test before this one put the old key back: it works within a reload.
        within(RELOAD_BOUND_SECONDS, lambda worker=worker: signed_in(worker))
        assert course_name(worker, nat9) is None
    asyncio.run(enrol(course, ola))
    for worker in workers:
        assert course_name(worker, nat9) == {"name": "Naturfag 9"}


@pytest.mark.postgres
def test_sigterm_stops_the_parent_and_every_worker(two_workers: ServedGateway) -> None:
    workers = two_workers.worker_pids()
    assert len(workers) == 2
    two_workers.close_connections()
    two_workers.terminate()
    assert two_workers.wait_exit(timeout=60) == 0, two_workers.output()
    assert not [pid for pid in workers if process_exists(pid)]


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    completed = subprocess.run(
        [*TAVLE, "serve", "--workers", "2"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "TAVLE_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "--workers 2 needs PostgreSQL" in completed.stderr
    # Refused before anything was created.
    assert not (tmp_path / "data").exists()
