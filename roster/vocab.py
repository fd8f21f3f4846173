"""OneRoster 1.2 vocabularies and how Tavle maps them.

A value outside a OneRoster vocabulary makes the file bad (the import fails). A value that is valid
OneRoster but means nothing to Tavle (an ``aide`` role, say) is skipped and reported instead, so a
school system's complete export can be imported as it is. ``ext:`` values are OneRoster's
extension mechanism and count as valid but unused.
"""

from __future__ import annotations

from store.tables import CourseRole, Role

ORGS = "orgs.csv"
USERS = "users.csv"
ROLES = "roles.csv"
CLASSES = "classes.csv"
ENROLLMENTS = "enrollments.csv"
SESSIONS = "academicSessions.csv"
CORE_FILES = (ORGS, USERS, ROLES, CLASSES, ENROLLMENTS)
#: every file Tavle reads, in the order they are parsed
READ_FILES = (SESSIONS, *CORE_FILES)

# manifest.csv modes of a file
ABSENT = "absent"
BULK = "bulk"
DELTA = "delta"

ACTIVE = "active"
TOBEDELETED = "tobedeleted"
STATUSES = frozenset({ACTIVE, TOBEDELETED})

ORG_TYPES = frozenset({"department", "district", "local", "national", "school", "state"})
SCHOOL = "school"

# roles.csv `role` (OneRoster 1.2 RoleEnum) -> Tavle role.
ROLE_MAP: dict[str, Role] = {
    "systemAdministrator": Role.SYSTEM_ADMINISTRATOR,
    "siteAdministrator": Role.SUPERUSER,
    "principal": Role.SCHOOL_LEADER,
    "teacher": Role.TEACHER,
    "student": Role.STUDENT,
    "guardian": Role.GUARDIAN,
    "parent": Role.GUARDIAN,
}
UNUSED_ROLES = frozenset({"aide", "counselor", "districtAdministrator", "proctor", "relative"})
ROLE_TYPES = frozenset({"primary", "secondary"})

# enrollments.csv `role`: 1.2 defines administrator, proctor, student, teacher; 1.1 files also
# carry aide, guardian, parent and relative, which are accepted (and skipped) for tolerance.
ENROLMENT_ROLE_MAP: dict[str, CourseRole] = {
    "teacher": CourseRole.TEACHER,
    "student": CourseRole.STUDENT,
}
UNUSED_ENROLMENT_ROLES = frozenset(
    {"administrator", "proctor", "aide", "guardian", "parent", "relative"}
)

CLASS_TYPES: dict[str, bool] = {"homeroom": True, "scheduled": False}

# academicSessions.csv `type` -> Tavle AcademicSessionType value.
SESSION_TYPES: dict[str, str] = {
    "schoolYear": "SCHOOL_YEAR",
    "term": "TERM",
    "semester": "SEMESTER",
    "gradingPeriod": "GRADING_PERIOD",
}

# userIds type whose identifier is the Norwegian national identity number (fødselsnummer).
NATIONAL_ID_TYPE = "FNR"
NATIONAL_ID_DIGITS = 11
# userIds type whose identifier is the person's Feide login (eduPersonPrincipalName,
# "name@school.no"), compared case-insensitively like the national id's type.
FEIDE_ID_TYPE = "FEIDE"
FEIDE_ID_LENGTH = 255


def is_extension(value: str) -> bool:
    """OneRoster extension tokens look like ``ext:something``."""
    return value.startswith("ext:") and len(value) > len("ext:")
