"""Feide ids from users.csv ``userIds`` (``{Feide:name@school.no}``): stored on the person, kept
up to date by later imports, exported and erased with the profile. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from db_support import TEST_IDENTITY_KEY
from demo_roster_support import current_demo_roster
from roster_support import RosterFolder, run_with_engine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from roster import RosterError, import_roster
from roster.parse import parse_folder
from store.privacy.providers.personal_data import PersonalDataProvider
from store.tables import audit_entries, people


async def _feide_id(engine: AsyncEngine, sourced_id: str) -> str | None:
    async with engine.connect() as conn:
        value: str | None = (
            await conn.execute(select(people.c.feide_id).where(people.c.sourced_id == sourced_id))
        ).scalar_one()
    return value


async def _person_id(engine: AsyncEngine, sourced_id: str) -> int:
    async with engine.connect() as conn:
        found: int = (
            await conn.execute(select(people.c.id).where(people.c.sourced_id == sourced_id))
        ).scalar_one()
    return found


def test_feide_ids_are_imported_and_follow_later_imports(
    roster_db_url: str, tmp_path: Path
) -> None:
    folder = RosterFolder(tmp_path / "roster")

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        assert await _feide_id(engine, "u-s-ola") == "ola.nordmann@feide.example.no"
        assert await _feide_id(engine, "u-t-hansen") == "per.hansen@feide.example.no"
        assert await _feide_id(engine, "u-g-kari") is None  # a guardian: national id only

        folder.set(
            "users.csv",
            "u-s-ola",
            userIds="{FNR:02861250137},{feide: ola.n@feide.example.no }",
        )
        folder.set("users.csv", "u-t-hansen", userIds="")
        folder.set("users.csv", "u-g-kari", userIds="{FNR:04827910153},{Feide:kari@example.no}")
        await import_roster(engine, folder.path, identity_key=TEST_IDENTITY_KEY)
        assert await _feide_id(engine, "u-s-ola") == "ola.n@feide.example.no"
        assert await _feide_id(engine, "u-t-hansen") is None
        assert await _feide_id(engine, "u-g-kari") == "kari@example.no"

        async with engine.connect() as conn:
            details = (
                await conn.execute(
                    select(audit_entries.c.detail).where(
                        audit_entries.c.action == "ROSTER_PERSON_UPDATED"
                    )
                )
            ).scalars()
            texts = list(details)
        assert texts.count("fields: feideId") == 3  # the field's name, never its value
        assert not any("example.no" in (text or "") for text in texts)

    run_with_engine(roster_db_url, scenario)


@pytest.mark.parametrize(
    ("user_ids", "reason"),
    [
        ("{Feide:a@x.no},{Feide:b@x.no}", "more than one Feide id in userIds"),
        ("{Feide:a b@x.no}", "has spaces"),
        ("{Feide:" + "a" * 256 + "}", "longer than 255 characters"),
    ],
)
def test_unusable_feide_ids_are_refused(tmp_path: Path, user_ids: str, reason: str) -> None:
    folder = RosterFolder(tmp_path / "roster")
    folder.set("users.csv", "u-s-ola", userIds=user_ids)
    with pytest.raises(RosterError) as caught:
        parse_folder(folder.path)
    assert reason in str(caught.value)
    assert "x.no" not in str(caught.value)


def test_export_shows_and_erasure_removes_the_feide_id(roster_db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        ola = await _person_id(engine, "u-s-ola")
        provider = PersonalDataProvider()
        async with engine.connect() as conn:
            items = [item async for item in provider.export(conn, ola)]
        profile = next(item for item in items if item.kind == "profile")
        assert profile.fields["feide_id"] == "ola.nordmann@feide.example.no"

        async with engine.begin() as conn:
            await provider.erase(conn, ola)
        async with engine.connect() as conn:
            row = (await conn.execute(select(people).where(people.c.id == ola))).mappings().one()
        assert row["feide_id"] is None

    run_with_engine(roster_db_url, scenario)
