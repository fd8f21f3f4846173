"""No N+1: a nested query costs the same number of SQL statements for 1 course as for 30.

A gateway of its own per backend, on a database holding the demo school plus a small extra one
(written into a copy of gateway/demo_data/roster, so the bulk import leaves the demo people alone):
a teacher with one course, a teacher with thirty, two students in each course. Assignments, answers
and assessments are made through the mutations; then the same nested query runs for both teachers
while the server's statements are counted.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS, TEST_IDENTITY_KEY, fresh_database
from demo_roster_support import current_demo_roster
from gateway_support import LiveGateway, run_gateway
from mutation_support import assess, create_assignment, ok, submit_answer

from roster import import_roster
from store.db import make_engine, migrate

SCHOOL = "org-nplus"
ONE = "np.larer.en"  # teaches one course
THIRTY = "np.larer.tretti"  # teaches thirty
STUDENTS_PER_COURSE = 2
MAX_STATEMENTS = 15

#: A teacher's courses, each class's students and each student's latest answers, with the page
#: sizes a frontend passes: 50 courses, a class of up to 35, 20 answers (the test's teacher has 30
#: courses of 2 students with one answer each, so every page is complete).
NESTED = """
{ courses(first: 50) { edges { node { name
    students(first: 35) { edges { node { displayName
      submissions(first: 20) { edges { node { body assessments { grade } } } }
    } } }
} } } }
"""


def course_ids(teacher: str) -> list[str]:
    count = 1 if teacher == ONE else 30
    return [f"c-{teacher}-{n:02d}" for n in range(1, count + 1)]


def student_usernames(course: str) -> list[str]:
    return [f"np.elev.{course[2:]}.{k}" for k in range(1, STUDENTS_PER_COURSE + 1)]


def append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writerows(rows)


def write_roster(folder: Path) -> None:
    """gateway/demo_data/roster (in the current school year) plus the extra school, its two
    teachers, their courses and students."""
    shutil.copytree(current_demo_roster(), folder)
    append_rows(
        folder / "orgs.csv",
        [
            {
                "sourcedId": SCHOOL,
                "name": "Nplus skole",
                "type": "school",
                "identifier": "NPS",
                "parentSourcedId": "org-oslo",
            }
        ],
    )
    users, roles, classes, enrollments = [], [], [], []

    def person(username: str, given: str, role: str) -> None:
        users.append(
            {
                "sourcedId": f"u-{username}",
                "enabledUser": "true",
                "username": username,
                "givenName": given,
                "familyName": "Nplus",
                "email": f"{username}@nplus.example.no",
            }
        )
        roles.append(
            {
                "sourcedId": f"r-{username}",
                "userSourcedId": f"u-{username}",
                "roleType": "primary",
                "role": role,
                "orgSourcedId": SCHOOL,
            }
        )

    for teacher in (ONE, THIRTY):
        person(teacher, teacher.rsplit(".", 1)[1].title(), "teacher")
        for course in course_ids(teacher):
            classes.append(
                {
                    "sourcedId": course,
                    "title": f"Fag {course}",
                    "classCode": course[-2:],
                    "classType": "scheduled",
                    "schoolSourcedId": SCHOOL,
                }
            )
            members = [(f"u-{teacher}", "teacher")]
            for student in student_usernames(course):
                person(student, student.split(".", 2)[2], "student")
                members.append((f"u-{student}", "student"))
            enrollments.extend(
                {
                    "sourcedId": f"e-{course}-{user}",
                    "classSourcedId": course,
                    "schoolSourcedId": SCHOOL,
                    "userSourcedId": user,
                    "role": role,
                }
                for user, role in members
            )
    append_rows(folder / "users.csv", users)
    append_rows(folder / "roles.csv", roles)
    append_rows(folder / "classes.csv", classes)
    append_rows(folder / "enrollments.csv", enrollments)


async def import_folder(url: str, folder: Path) -> None:
    await migrate(url)
    engine = make_engine(url)
    try:
        await import_roster(engine, folder, identity_key=TEST_IDENTITY_KEY)
    finally:
        await engine.dispose()


def seed(gateway: LiveGateway) -> None:
    """Per course: an assignment, an answer from each student, an assessment of each answer."""
    for teacher in (ONE, THIRTY):
        for course in course_ids(teacher):
            course_id = gateway.course_id(course)
            result = create_assignment(gateway, teacher, course_id, f"Oppgave {course}")
            assignment = ok(result, "createAssignment")["id"]
            for student in student_usernames(course):
                submission = ok(
                    submit_answer(gateway, student, assignment, f"Svar fra {student}"),
                    "submitAnswer",
                )["id"]
                result = assess(
                    gateway,
                    teacher,
                    gateway.person_id(student),
                    course_id,
                    "FEEDBACK",
                    submission=submission,
                    grade="5",
                )
                ok(result, "assess")


@pytest.fixture(scope="module", params=BACKENDS)
def nplus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"nplus-{backend}")
    roster = folder / "roster"
    write_roster(roster)
    with fresh_database(backend, folder) as url:
        # Imported before the gateway starts, so its demo set-up finds people and adds nothing.
        asyncio.run(import_folder(url, roster))
        with run_gateway(backend, url, folder) as gateway:
            seed(gateway)
            yield gateway


def nested_statements(gateway: LiveGateway, teacher: str) -> tuple[list[str], dict[str, object]]:
    with gateway.count_sql() as statements:
        result = gateway.gql(NESTED, as_user=teacher)
    assert result.errors == [], result.errors
    return list(statements), result.data


def assert_complete(data: dict[str, object], courses: int) -> None:
    edges = data["courses"]["edges"]  # type: ignore[index]
    assert len(edges) == courses
    for course in edges:
        students = course["node"]["students"]["edges"]
        assert len(students) == STUDENTS_PER_COURSE
        for student in students:
            submissions = student["node"]["submissions"]["edges"]
            assert len(submissions) == 1
            assert submissions[0]["node"]["body"].startswith("Svar fra")
            assert submissions[0]["node"]["assessments"] == [{"grade": "5"}]


def test_nested_query_costs_the_same_for_1_course_as_for_30(nplus: LiveGateway) -> None:
    one, one_data = nested_statements(nplus, ONE)
    thirty, thirty_data = nested_statements(nplus, THIRTY)
    assert_complete(one_data, 1)
    assert_complete(thirty_data, 30)
    assert one, "the statement counter saw nothing"
    assert len(one) == len(thirty), (len(one), len(thirty))
    assert len(thirty) <= MAX_STATEMENTS, "\n\n".join(thirty)


#: The gradebook (docs/school-year.md): every course's assessments, and each assessed student's
#: assessments filtered by kind, nested once more.
GRADEBOOK = """
{ courses(first: 100) { edges { node { name
    assessments(first: 50) { totalCount edges { node { grade courseCode
      student { displayName
        assessments(first: 50, kind: FEEDBACK) { totalCount edges { node { grade } } }
      }
    } } }
} } } }
"""


def gradebook_statements(gateway: LiveGateway, teacher: str) -> tuple[int, dict[str, Any]]:
    with gateway.count_sql() as statements:
        result = gateway.gql(GRADEBOOK, as_user=teacher)
    assert result.errors == [], result.errors
    return len(statements), result.data


def test_the_gradebook_costs_the_same_for_1_course_as_for_30(nplus: LiveGateway) -> None:
    one, one_data = gradebook_statements(nplus, ONE)
    thirty, thirty_data = gradebook_statements(nplus, THIRTY)
    for data, courses in ((one_data, 1), (thirty_data, 30)):
        edges = data["courses"]["edges"]
        assert len(edges) == courses
        for course in edges:
            assessments = course["node"]["assessments"]
            assert assessments["totalCount"] == STUDENTS_PER_COURSE
            for edge in assessments["edges"]:
                assert edge["node"]["grade"] == "5"
                assert edge["node"]["student"]["assessments"]["totalCount"] == 1
    assert one > 0
    assert one == thirty, (one, thirty)
    assert thirty <= MAX_STATEMENTS


def test_the_count_is_stable_between_requests(nplus: LiveGateway) -> None:
    first, _ = nested_statements(nplus, THIRTY)
    second, _ = nested_statements(nplus, THIRTY)
    assert len(first) == len(second)


def by_alias(course_ids: list[str]) -> str:
    """Each course under an alias of its own, its students' answers filtered by that course:
    the same connection with another filter value under each alias."""
    parts = [
        f'c{n}: course(id: "{course}") {{ students(first: 35) {{ edges {{ node {{ displayName '
        f'submissions(courseId: "{course}", first: 20) {{ totalCount edges {{ node {{ body }} }} }}'
        " } } } }"
        for n, course in enumerate(course_ids)
    ]
    return "{ " + " ".join(parts) + " }"


def test_a_filter_value_per_alias_costs_the_same_for_1_course_as_for_10(
    nplus: LiveGateway,
) -> None:
    """The gradebook's shape (``bench/gradebook.py``): one statement per level whatever the
    number of aliases, each alias's page filtered by its own value."""
    courses = [nplus.course_id(course) for course in course_ids(THIRTY)[:10]]
    counts = []
    for asked in (courses[:1], courses):
        with nplus.count_sql() as statements:
            result = nplus.gql(by_alias(asked), as_user=THIRTY)
        assert result.errors == [], result.errors
        counts.append(len(statements))
        for n in range(len(asked)):
            students = result.data[f"c{n}"]["students"]["edges"]
            assert len(students) == STUDENTS_PER_COURSE
            for student in students:
                # each student answered once, in their only course: another course's filter
                # value would find nothing
                answers = student["node"]["submissions"]
                assert answers["totalCount"] == 1
                assert answers["edges"][0]["node"]["body"].startswith("Svar fra np.elev.")
    assert counts[0] == counts[1], counts
