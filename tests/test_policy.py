"""The compiled policy: memoised decisions, implications, and reload when the file changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "policy.csv"
    shutil.copy(DEFAULT_POLICY, target)
    return target


def test_implied_relation_grants_like_the_one_it_implies() -> None:
    policy = Policy()
    # course_teacher implies course_member, and Course.students is granted to course_member.
    assert policy.allows(frozenset({"course_teacher"}), "Course.students", "read")
    assert not policy.allows(frozenset({"guardian"}), "Course.students", "read")


def test_unknown_coordinate_is_denied() -> None:
    assert not Policy().allows(frozenset({"sysadmin", "row"}), "User.password", "read")


def test_decisions_are_memoised_per_relation_set() -> None:
    policy = Policy()
    rels = frozenset({"self", "row"})
    policy.allows(rels, "User.email", "read")
    assert policy.memo_for("User.email", "read") == {rels: True}


def test_edited_policy_file_is_reloaded_and_memo_dropped(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    policy = Policy(DEFAULT_MODEL, path)
    superuser = frozenset({"superuser", "row"})
    memo = policy.memo_for("User.email", "read")
    assert not policy.allows(superuser, "User.email", "read")
    path.write_text(path.read_text() + "p, superuser, User.email, read\n")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    assert policy.refresh_if_changed(interval=0)
    assert memo == {}, "the guards' memo tables are cleared in place"
    assert policy.allows(superuser, "User.email", "read")
    assert not policy.refresh_if_changed(interval=0), "unchanged file: no second reload"
