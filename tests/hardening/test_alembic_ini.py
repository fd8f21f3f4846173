"""The repository's ``alembic.ini`` works as Alembic users expect (docs/operations.md,
"Migrations").

From a folder that is not the repository, with ``DATABASE_URL`` naming a fresh database (both
backends): ``alembic upgrade head`` creates the schema, ``alembic current`` shows the head,
``alembic check`` finds the tables and the migrations in agreement, ``alembic history`` lists
every revision. Without ``DATABASE_URL`` the embedded SQLite file in ``TAVLE_DATA_DIR`` is used,
as the gateway would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from db_support import BACKENDS, fresh_database

from store.db import alembic_config

REPO = Path(__file__).resolve().parents[2]
ALEMBIC_INI = REPO / "alembic.ini"


def alembic(folder: Path, environment: dict[str, str], *arguments: str) -> str:
    """Run ``alembic -c <repository>/alembic.ini ARGUMENTS`` in ``folder``; its stdout."""
    completed = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), *arguments],
        cwd=folder,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TAVLE_DATA_DIR")},
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def head_and_revisions() -> tuple[str, list[str]]:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head, [revision.revision for revision in script.walk_revisions()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_alembic_commands_on_a_fresh_database(backend: str, tmp_path: Path) -> None:
    head, revisions = head_and_revisions()
    with fresh_database(backend, tmp_path, prefix="tavle_alembic") as url:
        environment = {"DATABASE_URL": url}
        assert alembic(tmp_path, environment, "current").strip() == ""
        alembic(tmp_path, environment, "upgrade", "head")
        assert alembic(tmp_path, environment, "current").split() == [head, "(head)"]
        assert "No new upgrade operations detected" in alembic(tmp_path, environment, "check")
        history = alembic(tmp_path, environment, "history")
        for revision in revisions:
            assert f"-> {revision}" in history


def test_without_database_url_the_embedded_database_is_used(tmp_path: Path) -> None:
    head, _ = head_and_revisions()
    data = tmp_path / "data"
    alembic(tmp_path, {"TAVLE_DATA_DIR": str(data)}, "upgrade", "head")
    assert (data / "tavle.sqlite3").is_file()
    current = alembic(tmp_path, {"TAVLE_DATA_DIR": str(data)}, "current")
    assert current.split() == [head, "(head)"]
