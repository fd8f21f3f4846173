"""The load benchmark's clients: who they are, which screens they load and what they write.

Each simulated client is one demo person (``gateway/demo_data/roster``) with a role, its own HTTP
connection (optionally from its own loopback address) and its own seeded random choices. It first
*discovers* what its frontend would know after logging in (its courses, the students it teaches,
its children, its conversations; untimed), then loads screens and writes in a loop until the run
ends. The GraphQL documents below are the ones the frontends' screens need, per role; each has an
operation name, which is what the report and the server's metrics group by.

Writes stay valid however long the run lasts: comments go to posts the benchmark itself made
(recent ones, so no post collects thousands), answers go to the benchmark's own assignments
(created before the run, never assessed, so a resubmission is never a CONFLICT), messages reply in
the person's conversations or start one with someone the person may write to, and exports are
asked for by the system administrator only now and then.
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from roster import DEMO_ROSTER_DIR
from roster.vocab import ROLE_MAP
from store.tables import Role

#: every role, in the order of ``store.tables.Role``
ROLES = tuple(Role)

#: share of the clients per role (the rest are students); every role gets at least one client
ROLE_SHARES = {
    Role.SYSTEM_ADMINISTRATOR: 0.02,
    Role.SUPERUSER: 0.02,
    Role.SCHOOL_LEADER: 0.04,
    Role.TEACHER: 0.14,
    Role.GUARDIAN: 0.20,
}


def demo_people(roster: Path = DEMO_ROSTER_DIR) -> dict[str, list[str]]:
    """Usernames per role, in ``users.csv`` order (primary roles only)."""
    with (roster / "users.csv").open(encoding="utf-8-sig", newline="") as handle:
        usernames = {row["sourcedId"]: row["username"] for row in csv.DictReader(handle)}
    people: dict[str, list[str]] = {role: [] for role in ROLES}
    with (roster / "roles.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            role = ROLE_MAP.get(row["role"])
            username = usernames[row["userSourcedId"]]
            if row["roleType"] == "primary" and role is not None and username not in people[role]:
                people[role].append(username)
    return people


def role_counts(clients: int) -> dict[str, int]:
    """How many of ``clients`` play each role (50 -> 1, 1, 2, 7, 10 guardians, 29 students)."""
    if clients < len(ROLES):
        raise ValueError(f"at least {len(ROLES)} clients are needed, one per role")
    counts = {role: max(1, round(share * clients)) for role, share in ROLE_SHARES.items()}
    counts[Role.STUDENT] = clients - sum(counts.values())
    return {role: counts[role] for role in ROLES}


@dataclass(frozen=True)
class ClientSpec:
    """One simulated person: what a worker process needs to run it."""

    number: int
    role: str
    username: str
    token: str
    seed: int
    source_address: str | None = None


def plan_clients(
    clients: int,
    seed: int,
    tokens: Callable[[str], str],
    addresses: list[str | None],
    people: dict[str, list[str]] | None = None,
    reserved: frozenset[str] = frozenset(),
) -> list[ClientSpec]:
    """The clients of a run: ``role_counts`` people per role, each a different demo person as long
    as the demo has enough (then people are reused, which the report says)."""
    people = people or demo_people()
    plan: list[ClientSpec] = []
    for role, count in role_counts(clients).items():
        candidates = [name for name in people[role] if name not in reserved] or people[role]
        for n in range(count):
            number = len(plan)
            username = candidates[n % len(candidates)]
            plan.append(
                ClientSpec(
                    number=number,
                    role=role,
                    username=username,
                    token=tokens(username),
                    seed=seed * 1000 + number,
                    source_address=addresses[number % len(addresses)],
                )
            )
    return plan


# --- the documents ---------------------------------------------------------------------------

VIEWER_HOME = """
query ViewerHome {
  viewer {
    id displayName firstName lastName email
    roles { role school { id name } }
    courses(first: 50) {
      totalCount
      edges { node { id code name isHomeroom state school { name } teachers { id displayName } } }
    }
  }
}"""

NOTIFICATIONS = """
query Notifications {
  viewer { id notifications { id kind message createdAt readAt } preferences { key value } }
}"""

INBOX = """
query Inbox {
  conversations(first: 20) {
    totalCount
    edges { node {
      id
      participants { id displayName }
      messages(first: 20) { totalCount edges { node { id body sentAt author { id displayName } } } }
    } }
  }
}"""

CALENDAR = """
query Calendar {
  calendarEvents(first: 50) {
    totalCount
    edges { node { id title startsAt endsAt course { id name } owner { id displayName } } }
  }
}"""

DOCUMENTS = """
query Documents {
  documents(first: 30) {
    totalCount
    edges { node { id title body course { id name } owner { id displayName } } }
  }
}"""

COURSES = """
query Courses {
  courses(first: 100) {
    totalCount
    edges { node {
      id code name isHomeroom state
      school { id name }
      teachers { id displayName }
      students(first: 1) { totalCount }
    } }
  }
}"""

COURSE_PAGE = """
query CoursePage($id: ID!) {
  course(id: $id) {
    id code name isHomeroom state
    school { name }
    teachers { id displayName }
    terms { title startDate endDate }
    assignments(first: 20) {
      totalCount
      edges { node { id title instructions dueAt createdAt author { displayName } } }
    }
    posts(first: 10) {
      totalCount
      edges { node {
        id body createdAt author { id displayName }
        comments { id body createdAt author { id displayName } }
      } }
    }
    events { id title startsAt endsAt }
  }
}"""

#: a guardian's view of a child's course: no posts or class list (not theirs to read)
CHILD_COURSE = """
query ChildCourse($id: ID!) {
  course(id: $id) {
    id code name
    teachers { id displayName }
    assignments(first: 20) { totalCount edges { node { id title dueAt } } }
    events { id title startsAt endsAt }
  }
}"""

GRADEBOOK = """
query Gradebook($id: ID!) {
  course(id: $id) {
    id code name
    students(first: 100) {
      totalCount
      edges { node {
        id displayName email
        submissions(courseId: $id, first: 50) {
          totalCount
          edges { node {
            id status submittedAt
            assignment { id title }
            assessments { id kind grade published }
          } }
        }
      } }
    }
    assessments(first: 100) {
      totalCount
      edges { node { id kind grade comment published createdAt student { id } } }
    }
  }
}"""

ASSIGNMENT_SUBMISSIONS = """
query AssignmentSubmissions($id: ID!) {
  node(id: $id) {
    ... on Assignment {
      id title dueAt
      submissions(first: 50) {
        totalCount
        edges { node {
          id status submittedAt body lastOpenedAt
          student { id displayName }
          attachments { filename contentType sizeBytes }
          assessments { id kind grade }
        } }
      }
    }
  }
}"""

LEADER_ASSESSMENTS = """
query LeaderAssessments {
  courses(first: 50) {
    edges { node {
      id name
      assessments(first: 50, published: false) {
        totalCount
        edges { node { id kind grade published createdAt assessorName student { id displayName } } }
      }
    } }
  }
}"""

MY_WORK = """
query MyWork {
  viewer {
    id
    submissions(first: 50) {
      totalCount
      edges { node {
        id status submittedAt body
        attachments { filename }
        assignment { id title dueAt course { id name } }
        assessments { id kind grade comment }
      } }
    }
    assessments(first: 30) {
      totalCount
      edges { node { id kind grade comment courseName assessorName createdAt } }
    }
  }
}"""

ASSIGNMENT_PAGE = """
query AssignmentPage($id: ID!) {
  node(id: $id) {
    ... on Assignment {
      id title instructions dueAt
      course { id name }
      author { id displayName }
      submissions(first: 5) {
        edges { node { id status submittedAt body attachments { filename sizeBytes } } }
      }
    }
  }
}"""

CHILDREN_OVERVIEW = """
query ChildrenOverview {
  viewer {
    id displayName
    children {
      id displayName firstName lastName email
      courses(first: 20) {
        edges { node { id code name isHomeroom teachers { id displayName } } }
      }
      assessments(first: 30) {
        totalCount
        edges { node {
          id kind grade comment courseName assessorName createdAt published
        } }
      }
      submissions(first: 30) {
        totalCount
        edges { node { id status submittedAt assignment { id title dueAt } } }
      }
    }
  }
}"""

PRIVACY_QUEUE = """
query PrivacyQueue {
  privacyRequests(first: 20) {
    totalCount
    edges { node {
      id action status origin createdAt completedAt format
      subject { id displayName processingState }
      requestedBy { id displayName }
      effects { category outcome count }
    } }
  }
  recycleBin(first: 20) { totalCount edges { node { id displayName processingState } } }
}"""

AUDIT_LOG = """
query AuditLog {
  auditLog(first: 50) {
    totalCount
    edges { node { id at action targetType targetId actor { id displayName } } }
  }
}"""

USER_LOOKUP = """
query UserLookup($id: ID!) {
  user(id: $id) {
    id displayName firstName lastName email nationalId processingState
    roles { role school { name } }
    guardians { id displayName }
    children { id displayName }
    courses(first: 20) { totalCount edges { node { id name } } }
  }
}"""

ROSTER_IMPORTS = """
query RosterImports {
  rosterImports(first: 5) {
    totalCount
    edges { node { id startedAt finishedAt status mode counts { kind count } } }
  }
}"""

CREATE_POST = """
mutation CreatePost($courseId: ID!, $body: String!) {
  createPost(courseId: $courseId, body: $body) { id body createdAt }
}"""

COMMENT = """
mutation CommentOnPost($postId: ID!, $body: String!) {
  commentOnPost(postId: $postId, body: $body) { id body createdAt }
}"""

SEND_MESSAGE = """
mutation SendMessage($body: String!, $to: [ID!], $conversationId: ID) {
  sendMessage(body: $body, recipientIds: $to, conversationId: $conversationId) { id sentAt }
}"""

SUBMIT_ANSWER = """
mutation SubmitAnswer($input: SubmitAnswerInput!) {
  submitAnswer(input: $input) { id status submittedAt }
}"""

ASSESS = """
mutation Assess($input: AssessInput!) {
  assess(input: $input) { id kind grade published }
}"""

PUBLISH = """
mutation PublishAssessments($courseId: ID!) {
  publishAssessments(courseId: $courseId, kind: HALF_YEAR) { id published }
}"""

SET_PREFERENCE = """
mutation SetPreference($key: String!, $value: String) {
  setPreference(key: $key, value: $value) { key value }
}"""

CREATE_DOCUMENT = """
mutation CreateDocument($title: String!, $body: String) {
  createDocument(title: $title, body: $body) { id title }
}"""

REQUEST_EXPORT = """
mutation RequestExport($subjectId: ID!, $justification: String!) {
  requestExport(subjectId: $subjectId, justification: $justification, format: JSON) {
    id status
  }
}"""

CREATE_ASSIGNMENT = """
mutation CreateAssignment($input: CreateAssignmentInput!) {
  createAssignment(input: $input) { id }
}"""

#: discovery (untimed): what a teacher's frontend knows about the courses it teaches
TEACHER_COURSES = """
query TeacherCourses {
  viewer {
    id
    courses(first: 50) { edges { node {
      id isHomeroom
      teachers { id }
      students(first: 100) { edges { node { id } } }
    } } }
  }
}"""

#: discovery (untimed) for a system administrator: the people it looks up
ADMIN_PEOPLE = """
query AdminPeople {
  courses(first: 100) { edges { node { id students(first: 100) { edges { node { id } } } } } }
}"""


#: the operations above that write (mutations)
WRITE_OPERATIONS = frozenset(
    {
        "CreatePost",
        "CommentOnPost",
        "SendMessage",
        "SubmitAnswer",
        "Assess",
        "PublishAssessments",
        "SetPreference",
        "CreateDocument",
        "RequestExport",
    }
)


# --- results ------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One timed request: operation, start (seconds since the run's start), duration, success."""

    operation: str
    role: str
    start: float
    duration: float
    ok: bool


@dataclass
class Outcomes:
    """Errors seen by the clients, by (operation, description), with a count."""

    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: when each kind of error was first seen (wall-clock seconds)
    first_seen: dict[tuple[str, str], float] = field(default_factory=dict)

    def add(self, operation: str, description: str, at: float) -> None:
        self.errors[(operation, description)] += 1
        self.first_seen.setdefault((operation, description), at)


class RequestFailedError(Exception):
    """A request the benchmark counts as an error (the reason is in the message)."""


def describe_errors(status: int, payload: Any, allowed_forbidden: frozenset[str]) -> str | None:
    """Why a response counts as an error, or None when it does not.

    An error is: an HTTP status other than 200, a body that is not a GraphQL response, or any
    GraphQL error except FORBIDDEN on a field the operation expects to be denied (none of the
    documents above expects one: each role's screens ask only for what the role may read).
    """
    if status != 200:
        detail = ""
        if isinstance(payload, dict):
            codes = sorted({_code(e) for e in payload.get("errors") or []})
            detail = f" {','.join(codes)}" if codes else ""
        return f"HTTP {status}{detail}"
    if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
        return "not a GraphQL response"
    unexpected = []
    for error in payload.get("errors") or []:
        code = _code(error)
        path = error.get("path") or []
        last = next((p for p in reversed(path) if isinstance(p, str)), "")
        if code == "FORBIDDEN" and last in allowed_forbidden:
            continue
        message = str(error.get("message", ""))[:100]
        unexpected.append(f"{code} at {'.'.join(str(p) for p in path) or '-'}: {message}")
    if unexpected:
        return unexpected[0] + (f" (+{len(unexpected) - 1} more)" if len(unexpected) > 1 else "")
    return None


def _code(error: Any) -> str:
    if not isinstance(error, dict):
        return "?"
    return str((error.get("extensions") or {}).get("code", "(no code)"))


# --- a client ---------------------------------------------------------------------------------


@dataclass
class Shared:
    """What the clients of one worker process share: the benchmark's assignments and the posts
    made during the run (recent ones per course, where comments go)."""

    assignments: dict[str, str]
    recent_posts: dict[str, deque[str]] = field(default_factory=dict)
    counter: int = 0

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def posts_in(self, course: str) -> deque[str]:
        return self.recent_posts.setdefault(course, deque(maxlen=5))


@dataclass
class Context:
    """What a client's frontend knows after logging in."""

    me: str = ""
    courses: list[str] = field(default_factory=list)
    #: courses the person teaches (a teacher) or attends (a student): where they post
    member_courses: list[str] = field(default_factory=list)
    #: non-homeroom courses a teacher teaches, with their students
    taught: dict[str, list[str]] = field(default_factory=dict)
    child_courses: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)


Request = tuple[str, str, dict[str, Any]]  # (operation, document, variables)
Screen = tuple[int, Callable[[], Request | None]]  # (weight, make a request)


def fixed(weight: int, operation: str, document: str) -> Screen:
    """A screen without variables."""
    return (weight, lambda: (operation, document, {}))


class Client:
    """One person clicking through their frontend as fast as the server answers."""

    def __init__(
        self,
        spec: ClientSpec,
        http: httpx.AsyncClient,
        shared: Shared,
        outcomes: Outcomes,
        think: float,
    ) -> None:
        self.spec = spec
        self.http = http
        self.shared = shared
        self.outcomes = outcomes
        self.think = think
        self.rng = random.Random(spec.seed)
        self.ctx = Context()
        self.samples: list[Sample] = []
        self.headers = {"Authorization": f"Bearer {spec.token}"}
        self.screens = self._screens()

    # --- sending ---------------------------------------------------------------------------

    async def call(
        self,
        request: Request,
        started_at: float | None = None,
        allowed: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Send one operation; record a sample when ``started_at`` (the run's start) is given.
        Raise :class:`RequestFailedError` when the answer counts as an error."""
        operation, document, variables = request
        body = {"query": document, "variables": variables, "operationName": operation}
        start = time.perf_counter()
        wall = time.time()
        payload: Any = None
        try:
            response = await self.http.post("/graphql", json=body, headers=self.headers)
            status = response.status_code
            try:
                payload = response.json()
            except ValueError:
                payload = None
            problem = describe_errors(status, payload, allowed)
        except httpx.HTTPError as error:
            problem = f"transport: {type(error).__name__} {str(error)[:80]}".rstrip()
        duration = time.perf_counter() - start
        if started_at is not None:
            self.samples.append(
                Sample(operation, self.spec.role, wall - started_at, duration, problem is None)
            )
        if problem is not None:
            self.outcomes.add(operation, problem, wall)
            raise RequestFailedError(f"{operation}: {problem}")
        assert isinstance(payload, dict)
        data = payload.get("data")
        return data if isinstance(data, dict) else {}

    # --- discovery (untimed) ----------------------------------------------------------------

    async def discover(self) -> None:
        role = self.spec.role
        home = await self.call(("ViewerHome", VIEWER_HOME, {}))
        viewer = home["viewer"]
        self.ctx.me = viewer["id"]
        enrolled = [edge["node"] for edge in viewer["courses"]["edges"]]
        self.ctx.courses = [course["id"] for course in enrolled]
        if role == Role.TEACHER:
            found = await self.call(("TeacherCourses", TEACHER_COURSES, {}))
            for edge in found["viewer"]["courses"]["edges"]:
                course = edge["node"]
                if self.ctx.me not in {t["id"] for t in course["teachers"]}:
                    continue
                self.ctx.member_courses.append(course["id"])
                students = [e["node"]["id"] for e in course["students"]["edges"]]
                self.ctx.recipients.extend(s for s in students if s not in self.ctx.recipients)
                if not course["isHomeroom"] and students:
                    self.ctx.taught[course["id"]] = students
        elif role == Role.STUDENT:
            self.ctx.member_courses = list(self.ctx.courses)
            for course in enrolled:
                for teacher in course["teachers"]:
                    if teacher["id"] not in self.ctx.recipients:
                        self.ctx.recipients.append(teacher["id"])
        elif role == Role.GUARDIAN:
            overview = await self.call(("ChildrenOverview", CHILDREN_OVERVIEW, {}))
            for child in overview["viewer"]["children"] or []:
                for edge in child["courses"]["edges"]:
                    course = edge["node"]
                    self.ctx.child_courses.append(course["id"])
                    for teacher in course["teachers"]:
                        if teacher["id"] not in self.ctx.recipients:
                            self.ctx.recipients.append(teacher["id"])
        elif role in (Role.SCHOOL_LEADER, Role.SUPERUSER):
            listed = await self.call(("Courses", COURSES, {}))
            self.ctx.courses = [edge["node"]["id"] for edge in listed["courses"]["edges"]]
            for edge in listed["courses"]["edges"]:
                for teacher in edge["node"]["teachers"]:
                    if teacher["id"] not in self.ctx.recipients:
                        self.ctx.recipients.append(teacher["id"])
        elif role == Role.SYSTEM_ADMINISTRATOR:
            found = await self.call(("AdminPeople", ADMIN_PEOPLE, {}))
            self.ctx.courses = [edge["node"]["id"] for edge in found["courses"]["edges"]]
            for edge in found["courses"]["edges"]:
                for student in edge["node"]["students"]["edges"]:
                    if student["node"]["id"] not in self.ctx.people:
                        self.ctx.people.append(student["node"]["id"])
        self._learn_conversations(await self.call(("Inbox", INBOX, {})))

    def _learn_conversations(self, inbox: dict[str, Any]) -> None:
        for edge in inbox["conversations"]["edges"]:
            if edge["node"]["id"] not in self.ctx.conversations:
                self.ctx.conversations.append(edge["node"]["id"])

    # --- the screens and writes per role --------------------------------------------------

    def _screens(self) -> list[Screen]:
        """(weight, make a request) for the client's role; a maker answers None when the person
        has nothing to do there (no course, say), and the client picks again."""
        home = fixed(10, "ViewerHome", VIEWER_HOME)
        notifications = fixed(8, "Notifications", NOTIFICATIONS)
        inbox = fixed(6, "Inbox", INBOX)
        calendar = fixed(4, "Calendar", CALENDAR)
        documents = fixed(3, "Documents", DOCUMENTS)
        course_page: Screen = (20, self._course_page)
        # what teachers and students both look at all day
        everyday = [home, notifications, inbox, calendar, documents, course_page]
        role = self.spec.role
        if role == Role.TEACHER:
            return [
                *everyday,
                (10, self._gradebook),
                (8, self._assignment_submissions),
                (4, self._post),
                (6, self._comment),
                (4, self._message),
                (2, self._assess),
            ]
        if role == Role.STUDENT:
            return [
                *everyday,
                fixed(15, "MyWork", MY_WORK),
                (8, self._assignment_page),
                (6, self._submit),
                (6, self._comment),
                (1, self._post),
                (2, self._message),
            ]
        if role == Role.GUARDIAN:
            return [
                home,
                fixed(10, "Notifications", NOTIFICATIONS),
                fixed(10, "Inbox", INBOX),
                fixed(8, "Calendar", CALENDAR),
                fixed(30, "ChildrenOverview", CHILDREN_OVERVIEW),
                (15, self._child_course),
                (5, self._message),
                (2, self._preference),
            ]
        if role == Role.SCHOOL_LEADER:
            return [
                home,
                fixed(5, "Notifications", NOTIFICATIONS),
                fixed(5, "Inbox", INBOX),
                fixed(15, "Courses", COURSES),
                fixed(15, "LeaderAssessments", LEADER_ASSESSMENTS),
                (15, self._course_page),
                (8, self._gradebook),
                (3, self._message),
                (1, self._publish),
            ]
        if role == Role.SUPERUSER:
            return [
                home,
                fixed(5, "Notifications", NOTIFICATIONS),
                fixed(20, "Courses", COURSES),
                (25, self._course_page),
                fixed(10, "Documents", DOCUMENTS),
                fixed(10, "Calendar", CALENDAR),
                (3, self._document),
                (2, self._preference),
            ]
        return [  # a system administrator
            fixed(5, "ViewerHome", VIEWER_HOME),
            fixed(5, "Notifications", NOTIFICATIONS),
            fixed(25, "PrivacyQueue", PRIVACY_QUEUE),
            fixed(15, "AuditLog", AUDIT_LOG),
            (15, self._user_lookup),
            fixed(10, "Courses", COURSES),
            fixed(5, "RosterImports", ROSTER_IMPORTS),
            (1, self._export),
        ]

    def _text(self, what: str) -> str:
        return f"{what} {self.spec.number}-{self.shared.next_number()} fra lasttesten"

    def _one_of(self, operation: str, document: str, ids: list[str]) -> Request | None:
        """``operation`` on one of ``ids`` (``{"id": ...}``, picked at random); None when there
        is none to pick."""
        if not ids:
            return None
        return (operation, document, {"id": self.rng.choice(ids)})

    def _course_page(self) -> Request | None:
        return self._one_of("CoursePage", COURSE_PAGE, self.ctx.courses)

    def _child_course(self) -> Request | None:
        return self._one_of("ChildCourse", CHILD_COURSE, self.ctx.child_courses)

    def _gradebook(self) -> Request | None:
        courses = list(self.ctx.taught) if self.spec.role == Role.TEACHER else self.ctx.courses
        return self._one_of("Gradebook", GRADEBOOK, courses)

    def _bench_assignments(self) -> list[str]:
        """The benchmark's assignments in the courses the person teaches or attends."""
        courses = self.ctx.member_courses
        return [self.shared.assignments[c] for c in courses if c in self.shared.assignments]

    def _assignment_submissions(self) -> Request | None:
        return self._one_of(
            "AssignmentSubmissions", ASSIGNMENT_SUBMISSIONS, self._bench_assignments()
        )

    def _assignment_page(self) -> Request | None:
        return self._one_of("AssignmentPage", ASSIGNMENT_PAGE, self._bench_assignments())

    def _submit(self) -> Request | None:
        assignments = self._bench_assignments()
        if not assignments:
            return None
        assignment = self.rng.choice(assignments)
        answer: dict[str, Any] = {"assignmentId": assignment, "body": self._text("Svar")}
        if self.rng.random() < 0.3:
            answer["attachments"] = [
                {
                    "filename": f"svar-{self.spec.number}.pdf",
                    "contentType": "application/pdf",
                    "sizeBytes": self.rng.randint(10_000, 2_000_000),
                }
            ]
        return ("SubmitAnswer", SUBMIT_ANSWER, {"input": answer})

    def _post(self) -> Request | None:
        if not self.ctx.member_courses:
            return None
        course = self.rng.choice(self.ctx.member_courses)
        return ("CreatePost", CREATE_POST, {"courseId": course, "body": self._text("Innlegg")})

    def _comment(self) -> Request | None:
        if not self.ctx.member_courses:
            return None
        course = self.rng.choice(self.ctx.member_courses)
        posts = self.shared.posts_in(course)
        if not posts:  # nothing recent to comment on: start a thread
            return ("CreatePost", CREATE_POST, {"courseId": course, "body": self._text("Innlegg")})
        post = self.rng.choice(list(posts))
        return ("CommentOnPost", COMMENT, {"postId": post, "body": self._text("Kommentar")})

    def _message(self) -> Request | None:
        variables: dict[str, Any] = {"body": self._text("Melding")}
        if self.ctx.conversations and (self.rng.random() < 0.8 or not self.ctx.recipients):
            variables["conversationId"] = self.rng.choice(self.ctx.conversations)
        elif self.ctx.recipients:
            variables["to"] = [self.rng.choice(self.ctx.recipients)]
        else:
            return None
        return ("SendMessage", SEND_MESSAGE, variables)

    def _assess(self) -> Request | None:
        if not self.ctx.taught:
            return None
        course = self.rng.choice(sorted(self.ctx.taught))
        student = self.rng.choice(self.ctx.taught[course])
        answer = {
            "studentId": student,
            "courseId": course,
            "kind": "GOAL_ACHIEVEMENT",
            "grade": str(self.rng.randint(1, 6)),
            "comment": self._text("Vurdering"),
        }
        return ("Assess", ASSESS, {"input": answer})

    def _publish(self) -> Request | None:
        if not self.ctx.courses:
            return None
        return ("PublishAssessments", PUBLISH, {"courseId": self.rng.choice(self.ctx.courses)})

    def _preference(self) -> Request | None:
        key, values = self.rng.choice(
            [("language", ("nb", "nn", "en")), ("theme", ("light", "dark"))]
        )
        return ("SetPreference", SET_PREFERENCE, {"key": key, "value": self.rng.choice(values)})

    def _document(self) -> Request | None:
        return (
            "CreateDocument",
            CREATE_DOCUMENT,
            {"title": self._text("Notat"), "body": "Notater fra møtet."},
        )

    def _user_lookup(self) -> Request | None:
        return self._one_of("UserLookup", USER_LOOKUP, self.ctx.people)

    def _export(self) -> Request | None:
        if not self.ctx.people:
            return None
        return (
            "RequestExport",
            REQUEST_EXPORT,
            {
                "subjectId": self.rng.choice(self.ctx.people),
                "justification": "Innsynsbegjæring (lasttest)",
            },
        )

    def learn(self, operation: str, variables: dict[str, Any], data: dict[str, Any]) -> None:
        """What the frontend keeps from an answer: new posts, the conversation list."""
        if operation == "CreatePost":
            self.shared.posts_in(variables["courseId"]).append(data["createPost"]["id"])
        elif operation == "Inbox":
            self._learn_conversations(data)

    # --- the loop -----------------------------------------------------------------------------

    def pick(self) -> Request:
        weights = [weight for weight, _ in self.screens]
        for _ in range(100):
            _, make = self.rng.choices(self.screens, weights)[0]
            request = make()
            if request is not None:
                return request
        return ("ViewerHome", VIEWER_HOME, {})

    async def run(self, started_at: float, until: float) -> None:
        """Load screens until ``until`` (wall-clock seconds); requests that fail are counted."""
        while time.time() < until:
            request = self.pick()
            try:
                data = await self.call(request, started_at)
            except RequestFailedError:
                data = None
            if data is not None:
                self.learn(request[0], request[2], data)
            if self.think > 0:
                await asyncio.sleep(self.rng.expovariate(1 / self.think))


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
