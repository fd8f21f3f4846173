"""``tavle explain``: run as a subprocess against the demo school on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gateway_support import DEMO_ROSTER, REPO, TEST_DEV_SECRET
from sqlalchemy import select

from config.ids import to_global_id
from config.settings import Settings
from gateway.demo import ensure_demo
from store import tables as t
from store.db import make_engine


@dataclass(frozen=True)
class Explained:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class DemoDb:
    folder: Path
    url: str

    def explain(self, viewer: str, obj: str, field: str) -> Explained:
        env = dict(os.environ, TAVLE_DATA_DIR=str(self.folder))
        env.pop("DATABASE_URL", None)
        env.pop("TAVLE_DATABASE_URL", None)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "explain",
                "--database-url",
                self.url,
                viewer,
                obj,
                field,
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Explained(done.returncode, done.stdout, done.stderr)

    def pk(self, table: Any, column: Any, value: str) -> int:
        async def run() -> int:
            engine = make_engine(self.url)
            try:
                async with engine.connect() as conn:
                    found: int = (
                        await conn.execute(select(table.c.id).where(column == value))
                    ).scalar_one()
                    return found
            finally:
                await engine.dispose()

        return asyncio.run(run())

    def user(self, username: str) -> str:
        return to_global_id("User", self.pk(t.people, t.people.c.username, username))

    def course(self, sourced_id: str) -> str:
        return to_global_id("Course", self.pk(t.courses, t.courses.c.sourced_id, sourced_id))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoDb:
    folder = tmp_path_factory.mktemp("explain")
    settings = Settings(data_dir=folder, dev_secret=TEST_DEV_SECRET)
    asyncio.run(ensure_demo(settings, DEMO_ROSTER))
    return DemoDb(folder, settings.resolved_database_url())


def test_teacher_reads_a_taught_students_email(demo: DemoDb) -> None:
    result = demo.explain("larer.hansen", demo.user("elev.ola"), "email")
    assert result.code == 0, result.err
    assert result.out.startswith("ALLOW")
    assert "granted by: p, teaches, User.email, read  [relation: teaches]" in result.out


def test_superuser_may_not_read_email(demo: DemoDb) -> None:
    result = demo.explain("superuser.bjolsen", demo.user("elev.ola"), "User.email")
    assert result.code == 1, result.err
    assert result.out.startswith("DENY")
    # The row is visible (school_staff through superuser), the field is not.
    assert "superuser -> school_staff (g)" in result.out
    assert "holds none of the granting relations" in result.out
    granting = "guardian, guardian_of_taught, pseudonym, school_leader, self, sysadmin, teaches"
    assert f"would grant: {granting}" in result.out


def test_grant_through_an_implied_relation(demo: DemoDb) -> None:
    result = demo.explain("larer.hansen", demo.course("c-bjs-mat8"), "students")
    assert result.code == 0, result.err
    assert (
        "granted by: p, course_member, Course.students, read  "
        "[relation: course_teacher -> course_member (g)]"
    ) in result.out


def test_invisible_object_says_not_visible(demo: DemoDb) -> None:
    # A Sagene student is outside every relation of a Bjølsen teacher.
    result = demo.explain("larer.hansen", demo.user("elev.sofie"), "email")
    assert result.code == 1, result.err
    assert result.out.startswith("DENY")
    assert "not visible" in result.out
    assert "p, teaches, User, see" in result.out


def test_unknown_field_is_a_usage_error(demo: DemoDb) -> None:
    result = demo.explain("larer.hansen", demo.user("elev.ola"), "shoeSize")
    assert result.code == 2
    assert result.out == ""
    assert "User has no field 'shoeSize'" in result.err


def test_unknown_viewer_and_object(demo: DemoDb) -> None:
    nobody = demo.explain("nobody.here", demo.user("elev.ola"), "email")
    assert nobody.code == 2
    assert "no active person" in nobody.err
    garbage = demo.explain("larer.hansen", "not-an-id", "email")
    assert garbage.code == 2
    assert "not a Tavle global id" in garbage.err
