"""The compiled policy: memoised decisions, implications, and reload when the file changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from authz.guard import schema_coordinates
from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy
from authz.relations import Facts, relations_of
from authz.viewer import Viewer
from schema.build import build_schema


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


def mutations_without_call_line(policy: Policy) -> list[str]:
    """Mutation fields with neither a ``call`` line of their own (``Mutation.createPost``) nor
    lines under them (``Mutation.assess.REMARK``)."""
    calls = {obj for obj, act in policy.coordinates() if act == "call"}
    mutations = [c for c in schema_coordinates(build_schema(policy)) if c.startswith("Mutation.")]
    assert "Mutation.setPreference" in mutations
    return [m for m in mutations if not any(c == m or c.startswith(f"{m}.") for c in calls)]


def test_every_mutation_field_has_a_call_line() -> None:
    """A mutation checks its ``call`` line (authz/call_checks.py): one must exist for each."""
    missing = mutations_without_call_line(Policy())
    assert missing == [], f"mutations without a call line: {missing}"


def test_a_mutation_whose_call_lines_are_gone_is_found(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    kept = [
        line
        for line in path.read_text().splitlines()
        if "Mutation.setPreference, call" not in line and "Mutation.assess." not in line
    ]
    path.write_text("\n".join(kept) + "\n")
    missing = mutations_without_call_line(Policy(DEFAULT_MODEL, path))
    assert missing == ["Mutation.assess", "Mutation.setPreference"]


def test_only_system_administrators_may_download_exports() -> None:
    """The export download's rule is a policy line (gateway/exports.py asks the policy)."""
    policy = Policy()

    def may_download(viewer: Viewer) -> bool:
        return policy.allows(relations_of(viewer, Facts()), "Http.downloadExport", "call")

    assert may_download(Viewer(person_id=1, is_sysadmin=True))
    leader = Viewer(person_id=2, leader_schools=frozenset({1}), member_schools=frozenset({1}))
    assert not may_download(leader)
    assert not may_download(Viewer(person_id=3))


def test_a_contact_teacher_may_assess_in_any_course_of_their_student() -> None:
    """``Mutation.assess.studentCourse``: granted by the relation to the student alone, to the
    contact teacher and nobody else who relates to the student."""
    policy = Policy()
    student = 7

    def may_reach(viewer: Viewer) -> bool:
        rels = relations_of(viewer, Facts(student=student))
        return policy.allows(rels, "Mutation.assess.studentCourse", "call")

    assert may_reach(Viewer(person_id=1, contact_students=frozenset({student})))
    assert not may_reach(Viewer(person_id=1, contact_students=frozenset({8})))
    assert not may_reach(Viewer(person_id=2, children=frozenset({student})))
    assert not may_reach(Viewer(person_id=student))
    assert not may_reach(Viewer(person_id=3, is_sysadmin=True))
