"""The policy compiler (``authz.policy.Policy``) on a small model and policy of its own.

The compiled decisions must be the Casbin decisions: ``allows()`` (memoised) answers what a
direct ``enforce()`` per relation answers, for any set of relations and in any order of
questions; ``granting_relations`` lists exactly the candidates ``enforce()`` grants, implied
ones included. ``reload()`` forgets every decision, and clears the memo tables the field guards
hold *in place*; ``refresh_if_changed`` reloads an edited file (a new mtime), not an unchanged
one, and looks at the file at most once per interval.
"""

from __future__ import annotations

import os
from pathlib import Path

import casbin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authz.policy import Action, Policy

MODEL = """\
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
"""

POLICY = """\
g, teacher, member
g, student, member
g, head, staff
g, staff, member
p, member, Course, see
p, teacher, Course.students, read
p, head, Course.students, read
p, self, User.email, read
p, admin, User.email, read
p, staff, Mutation.publish, call
"""

#: Relations the policy names, relations only implied, and ones it never mentions.
RELATIONS = ["teacher", "student", "member", "head", "staff", "self", "admin", "row", "stranger"]
#: (object, action) pairs: granted ones, a known object with another action, unknown ones.
COORDINATES: list[tuple[str, Action]] = [
    ("Course", "see"),
    ("Course.students", "read"),
    ("User.email", "read"),
    ("Mutation.publish", "call"),
    ("Course", "read"),
    ("User.name", "read"),
]

relation_sets = st.frozensets(st.sampled_from(RELATIONS), max_size=4)
questions = st.lists(st.tuples(relation_sets, st.sampled_from(COORDINATES)), max_size=25)


def _write(folder: Path) -> tuple[Path, Path]:
    model, policy = folder / "model.conf", folder / "policy.csv"
    model.write_text(MODEL)
    policy.write_text(POLICY)
    return model, policy


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """The model and policy, for a test that edits the policy."""
    return _write(tmp_path)


@pytest.fixture(scope="module")
def unchanged_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The model and policy, never edited: each example compiles a new ``Policy`` from them."""
    return _write(tmp_path_factory.mktemp("policy"))


def _direct(model: Path, policy: Path) -> casbin.Enforcer:
    return casbin.Enforcer(str(model), str(policy))


def _edit(policy: Path, text: str) -> None:
    """Write ``text`` and move the mtime on, as an editor saving a second later would."""
    policy.write_text(text)
    stat = policy.stat()
    os.utime(policy, (stat.st_atime, stat.st_mtime + 5))


@settings(max_examples=60)
@given(asked=questions)
def test_allows_answers_what_enforce_answers(
    asked: list[tuple[frozenset[str], tuple[str, Action]]], unchanged_files: tuple[Path, Path]
) -> None:
    policy, direct = Policy(*unchanged_files), _direct(*unchanged_files)
    for relations, (obj, act) in asked * 2:  # the second round is answered from the memo
        expected = any(direct.enforce(rel, obj, act) for rel in relations)
        assert policy.allows(relations, obj, act) == expected, (sorted(relations), obj, act)
        assert policy.memo_for(obj, act)[relations] == expected


@settings(max_examples=60)
@given(
    candidates=st.frozensets(st.sampled_from(RELATIONS)), coordinate=st.sampled_from(COORDINATES)
)
def test_granting_relations_are_the_candidates_enforce_grants(
    candidates: frozenset[str],
    coordinate: tuple[str, Action],
    unchanged_files: tuple[Path, Path],
) -> None:
    policy, direct = Policy(*unchanged_files), _direct(*unchanged_files)
    obj, act = coordinate
    expected = frozenset(rel for rel in candidates if direct.enforce(rel, obj, act))
    assert policy.granting_relations(obj, act, candidates) == expected


def test_granting_relations_include_implied_ones(files: tuple[Path, Path]) -> None:
    policy = Policy(*files)
    # teacher -> member (Course see), head -> staff -> member: implications are transitive.
    assert policy.granting_relations("Course", "see", RELATIONS) == {
        "teacher",
        "student",
        "member",
        "head",
        "staff",
    }
    assert policy.granting_relations("User.name", "read", RELATIONS) == frozenset()


def test_granting_relations_answer_for_the_candidates_asked(files: tuple[Path, Path]) -> None:
    policy = Policy(*files)
    assert policy.granting_relations("Course", "see", ["teacher"]) == {"teacher"}
    assert policy.granting_relations("Course", "see", ["student"]) == {"student"}


def test_reload_clears_the_memo_tables_in_place(files: tuple[Path, Path]) -> None:
    model, policy_file = files
    policy = Policy(model, policy_file)
    held = policy.memo_for("Course.students", "read")  # as a field guard holds it
    teacher = frozenset({"teacher"})
    assert policy.allows(teacher, "Course.students", "read")
    assert held == {teacher: True}
    policy_file.write_text(POLICY.replace("p, teacher, Course.students, read\n", ""))
    version = policy.version
    policy.reload()
    assert policy.version == version + 1, "what is compiled outside the class is dropped too"
    assert held == {}, "the table a guard holds is emptied, not replaced"
    assert policy.memo_for("Course.students", "read") is held
    assert not policy.allows(teacher, "Course.students", "read")
    assert held == {teacher: False}


def test_reload_forgets_granting_relations(files: tuple[Path, Path]) -> None:
    model, policy_file = files
    policy = Policy(model, policy_file)
    assert policy.granting_relations("User.email", "read", RELATIONS) == {"self", "admin"}
    policy_file.write_text(POLICY + "p, head, User.email, read\n")
    policy.reload()
    assert policy.granting_relations("User.email", "read", RELATIONS) == {"self", "admin", "head"}


def test_refresh_picks_up_an_edited_file(files: tuple[Path, Path]) -> None:
    model, policy_file = files
    policy = Policy(model, policy_file)
    stranger = frozenset({"stranger"})
    memo = policy.memo_for("User.email", "read")
    assert not policy.allows(stranger, "User.email", "read")
    _edit(policy_file, POLICY + "p, stranger, User.email, read\n")
    assert policy.refresh_if_changed(interval=0)
    assert memo == {}
    assert policy.allows(stranger, "User.email", "read")


def test_refresh_leaves_an_unchanged_file_alone(files: tuple[Path, Path]) -> None:
    model, policy_file = files
    policy = Policy(model, policy_file)
    teacher = frozenset({"teacher"})
    policy.allows(teacher, "Course", "see")
    version = policy.version
    assert not policy.refresh_if_changed(interval=0)
    assert policy.memo_for("Course", "see") == {teacher: True}, "memo kept"
    assert policy.version == version
    # Rewritten with the same mtime (a touch-less copy): still no reload.
    stat = policy_file.stat()
    policy_file.write_text(POLICY)
    os.utime(policy_file, (stat.st_atime, stat.st_mtime))
    assert not policy.refresh_if_changed(interval=0)


def test_refresh_looks_at_most_once_per_interval(files: tuple[Path, Path]) -> None:
    model, policy_file = files
    policy = Policy(model, policy_file)
    assert not policy.refresh_if_changed(interval=3600)  # looked: unchanged
    _edit(policy_file, POLICY + "p, stranger, Course, see\n")
    assert not policy.refresh_if_changed(interval=3600), "not looked again within the interval"
    assert not policy.allows(frozenset({"stranger"}), "Course", "see")
