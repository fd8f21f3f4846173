"""The viewer: everything about the caller that relation checks need, loaded once per request.

With these sets in hand a relation check is a set lookup (README, "Design"), whether it runs in
Python on a loaded object or is compiled into an SQL ``IN`` list for a row rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EMPTY: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Viewer:
    person_id: int
    is_sysadmin: bool = False
    leader_schools: frozenset[int] = EMPTY
    superuser_schools: frozenset[int] = EMPTY
    teacher_schools: frozenset[int] = EMPTY
    #: schools where the viewer holds any role or enrolment
    member_schools: frozenset[int] = EMPTY
    #: courses the viewer is enrolled in as teacher / as student
    taught_courses: frozenset[int] = EMPTY
    student_courses: frozenset[int] = EMPTY
    enrolled_courses: frozenset[int] = EMPTY
    #: ACTIVE homerooms (base groups) the viewer teaches, and the students enrolled in them
    #: ("contact_teacher"); every set here comes from current (not ended) enrolments only
    homerooms_taught: frozenset[int] = EMPTY
    contact_students: frozenset[int] = EMPTY
    #: students in any ACTIVE course the viewer teaches, plus contact students ("teaches")
    taught_students: frozenset[int] = EMPTY
    #: the viewer's children and guardians (guardian links, both directions)
    children: frozenset[int] = EMPTY
    guardians: frozenset[int] = EMPTY
    #: courses a child of the viewer is enrolled in as a student
    children_courses: frozenset[int] = EMPTY
    #: people who teach a child of the viewer ("teaches_child")
    children_teachers: frozenset[int] = EMPTY
    #: guardians of students the viewer teaches ("guardian_of_taught")
    guardians_of_taught: frozenset[int] = EMPTY
    #: people enrolled in an ACTIVE course the viewer is enrolled in ("course_peer")
    course_peers: frozenset[int] = EMPTY
    #: people met only in archived courses: the viewer's own, and teachers of the children's
    #: archived courses ("former_course_member": their names, not their profiles)
    former_course_people: frozenset[int] = EMPTY
    #: conversations the viewer takes part in ("participant"), and everyone taking part in them,
    #: the viewer included ("conversation_fellow")
    conversations: frozenset[int] = EMPTY
    conversation_fellows: frozenset[int] = EMPTY
    #: the viewer's role names, for display and explain only
    role_names: frozenset[str] = field(default=frozenset())
