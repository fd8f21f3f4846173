"""The parsing pieces on their own: userIds, agentSourcedIds, CSV line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from roster import DEMO_ROSTER_DIR, RosterError
from roster.csvfile import read_csv
from roster.parse import parse_folder
from roster.userids import MalformedError, parse_agents, parse_user_ids


def test_user_ids() -> None:
    assert parse_user_ids("") == []
    assert parse_user_ids("{Feide:ola@example.no},{FNR:01010112345}") == [
        ("Feide", "ola@example.no"),
        ("FNR", "01010112345"),
    ]
    assert parse_user_ids(" {urn : a:b:c} ,  {x:y} ") == [("urn", "a:b:c"), ("x", "y")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Feide:ola", "entry 1 does not start with '{'"),
        ("{Feide:ola", "entry 1 has no closing '}'"),
        ("{Feide:{ola}", "entry 1 has unbalanced braces"),
        ("{Feide}", "entry 1 has no ':' between type and identifier"),
        ("{:ola}", "entry 1 has an empty type"),
        ("{Feide: }", "entry 1 has an empty identifier"),
        ("{a:b}{c:d}", "expected ',' after entry 1"),
        ("{a:b},", "trailing ',' after entry 1"),
        ("{a:b}}", "expected ',' after entry 1"),
    ],
)
def test_malformed_user_ids(text: str, reason: str) -> None:
    with pytest.raises(MalformedError) as caught:
        parse_user_ids(text)
    assert str(caught.value) == reason


def test_agents() -> None:
    assert parse_agents("") == ()
    assert parse_agents("a; b,c ,,a") == ("a", "b", "c")


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text(
        'sourcedId,title\n\nc1,"two\nlines"\nc2,plain\n', encoding="utf-8"
    )
    rows = read_csv(tmp_path, "x.csv", ["sourcedId"])
    assert [(row.line, row.get("title")) for row in rows] == [(3, "two\nlines"), (5, "plain")]


def test_empty_file_and_duplicate_column(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_bytes(b"\xef\xbb\xbf")
    with pytest.raises(RosterError, match=r"^x\.csv:1: missing header row$"):
        read_csv(tmp_path, "x.csv", ["sourcedId"])
    (tmp_path / "x.csv").write_text("sourcedId,a,a\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"^x\.csv:1: duplicate column 'a'$"):
        read_csv(tmp_path, "x.csv", ["sourcedId"])


def test_demo_parses(tmp_path: Path) -> None:
    roster = parse_folder(DEMO_ROSTER_DIR)
    assert (len(roster.orgs), len(roster.users), len(roster.classes)) == (3, 60, 11)
    assert sum(user.national_id is not None for user in roster.users) == 46
    with pytest.raises(RosterError, match="not a folder"):
        parse_folder(tmp_path / "nowhere")
