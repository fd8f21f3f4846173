"""How long a stored text and how long a list in an input may be (docs/security.md, "Input limits").

Every ``String`` a mutation takes ends up in the database, and every list multiplies the work
of one request, so each has a limit here, keyed by its schema coordinate (``Type.field(arg:)``
for an argument, ``InputType.field`` for a field of an input object). ``install_input_limits``
wraps each mutation's resolver so the arguments are checked before any other work, after the
caller's permission to call the mutation (the field guard is installed around it).

Limits count characters (what PostgreSQL's ``VARCHAR(n)`` counts), not bytes. Text that no
database can store is refused whatever its length: a NUL character (PostgreSQL's text types
cannot hold one) and a lone UTF-16 surrogate (not Unicode text; neither driver can encode it).

The numbers are constants rather than settings: they are part of the API contract, and a
column's width (``people.given_name`` is ``VARCHAR(255)``) caps some of them.

A schema ``String`` argument of a mutation without a limit stops the schema from being built
(and the test suite with it), so a new text input cannot go unbounded by mistake.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    default_field_resolver,
)

from config.errors import BadUserInputError
from config.text_limits import JUSTIFICATION as JUSTIFICATION
from config.text_limits import SOURCED_ID as SOURCED_ID
from config.text_limits import text_problem as text_problem
from store.privacy.base import DataCategory
from store.tables import PrivacyAction

log = logging.getLogger("tavle.input")

# --- the limits -------------------------------------------------------------------------------

#: titles of assignments, documents and calendar events (the columns are VARCHAR(500))
TITLE = 500
#: an assignment's instructions
INSTRUCTIONS = 50_000
#: a student's answer: an essay of some 15,000 words
ANSWER_BODY = 100_000
#: files listed with one answer
ATTACHMENTS_PER_ANSWER = 20
#: an attachment's file name and media type (VARCHAR(255))
ATTACHMENT_FILENAME = 255
ATTACHMENT_CONTENT_TYPE = 255
#: a grade (VARCHAR(64)) and an assessment's comment
GRADE = 64
ASSESSMENT_COMMENT = 20_000
#: course posts, comments and direct messages
POST_BODY = 20_000
COMMENT_BODY = 20_000
MESSAGE_BODY = 20_000
#: people a new conversation is started with (a class's guardians fit: 30 students, 2 each)
RECIPIENTS_PER_MESSAGE = 100
#: a document's text
DOCUMENT_BODY = 100_000
#: a UI preference's key (VARCHAR(255)) and value
PREFERENCE_KEY = 255
PREFERENCE_VALUE = 10_000
#: distinct preference keys one person keeps (changing a kept one is always allowed)
PREFERENCES_PER_PERSON = 200
#: notifications marked read by id in one call
NOTIFICATIONS_PER_CALL = 500
#: people named in one batch erasure (a whole school or the recycle bin need no list)
ERASURE_BATCH = 1_000
#: rectified names (VARCHAR(255)) and email address (VARCHAR(320), RFC 5321's maximum)
PERSON_NAME = 255
#: a data request's message (docs/data-requests.md)
DATA_REQUEST_MESSAGE = 5_000
EMAIL = 320
#: an incident's description and actions taken (docs/incidents.md)
INCIDENT_TEXT = 20_000
#: data categories of an incident (each at most once), courses and people one scope may name
INCIDENT_CATEGORIES = len(DataCategory)
INCIDENT_SCOPE_COURSES = 500
INCIDENT_SCOPE_PERSONS = 1_000
#: people the users directory is asked for by id in one call (``users(ids:)``, a read)
USERS_BY_ID = 100
#: actions ``privacyRequests(action:)`` keeps (each at most once: a longer list repeats one)
PRIVACY_REQUEST_ACTIONS = len(PrivacyAction)

#: the longest text each text input may carry, by schema coordinate
TEXT_LIMITS: Mapping[str, int] = {
    "CreateAssignmentInput.title": TITLE,
    "CreateAssignmentInput.instructions": INSTRUCTIONS,
    "SubmitAnswerInput.body": ANSWER_BODY,
    "AttachmentInput.filename": ATTACHMENT_FILENAME,
    "AttachmentInput.contentType": ATTACHMENT_CONTENT_TYPE,
    "AssessInput.grade": GRADE,
    "AssessInput.comment": ASSESSMENT_COMMENT,
    "Mutation.createPost(body:)": POST_BODY,
    "Mutation.commentOnPost(body:)": COMMENT_BODY,
    "Mutation.sendMessage(body:)": MESSAGE_BODY,
    "Mutation.createDocument(title:)": TITLE,
    "Mutation.createDocument(body:)": DOCUMENT_BODY,
    "Mutation.createCalendarEvent(title:)": TITLE,
    "Mutation.setPreference(key:)": PREFERENCE_KEY,
    "Mutation.setPreference(value:)": PREFERENCE_VALUE,
    "Mutation.requestExport(justification:)": JUSTIFICATION,
    "Mutation.restrictProcessing(justification:)": JUSTIFICATION,
    "Mutation.liftRestriction(justification:)": JUSTIFICATION,
    "Mutation.requestErasure(justification:)": JUSTIFICATION,
    "Mutation.requestBatchErasure(justification:)": JUSTIFICATION,
    "Mutation.requestSchoolErasure(justification:)": JUSTIFICATION,
    "Mutation.requestCourseDeletion(justification:)": JUSTIFICATION,
    "Mutation.requestSchoolExport(justification:)": JUSTIFICATION,
    "Mutation.rectifyPersonalData(justification:)": JUSTIFICATION,
    "RectificationInput.firstName": PERSON_NAME,
    "RectificationInput.lastName": PERSON_NAME,
    "RectificationInput.email": EMAIL,
    "Mutation.updatePost(body:)": POST_BODY,
    "Mutation.updateComment(body:)": COMMENT_BODY,
    "Mutation.updateDocument(title:)": TITLE,
    "Mutation.updateDocument(body:)": DOCUMENT_BODY,
    "Mutation.updateCalendarEvent(title:)": TITLE,
    "Mutation.updateAssignment(title:)": TITLE,
    "Mutation.updateAssignment(instructions:)": INSTRUCTIONS,
    "AssessmentUpdateInput.grade": GRADE,
    "AssessmentUpdateInput.comment": ASSESSMENT_COMMENT,
    "Mutation.withdrawAssessment(reason:)": JUSTIFICATION,
    "Mutation.returnSubmission(comment:)": ASSESSMENT_COMMENT,
    "Mutation.submitDataRequest(message:)": DATA_REQUEST_MESSAGE,
    "Mutation.decideDataRequest(reason:)": JUSTIFICATION,
    "Mutation.extendDataRequest(reason:)": JUSTIFICATION,
    "IncidentInput.description": INCIDENT_TEXT,
    "IncidentInput.actionsTaken": INCIDENT_TEXT,
    "IncidentUpdateInput.actionsTaken": INCIDENT_TEXT,
}

#: the most items each list input may carry, by schema coordinate
LIST_LIMITS: Mapping[str, int] = {
    "SubmitAnswerInput.attachments": ATTACHMENTS_PER_ANSWER,
    "SubmitAnswerInput.attachmentIds": ATTACHMENTS_PER_ANSWER,
    "Mutation.sendMessage(recipientIds:)": RECIPIENTS_PER_MESSAGE,
    "Mutation.requestBatchErasure(subjectIds:)": ERASURE_BATCH,
    "Mutation.markNotificationsRead(ids:)": NOTIFICATIONS_PER_CALL,
    "IncidentInput.categories": INCIDENT_CATEGORIES,
    "IncidentScopeInput.courseIds": INCIDENT_SCOPE_COURSES,
    "IncidentScopeInput.personIds": INCIDENT_SCOPE_PERSONS,
    # a list argument of a read: the root list checks it (``resolvers.root_fields.RootFilter``),
    # so both executors do, where the list's other arguments are read
    "Query.users(ids:)": USERS_BY_ID,
    "Query.privacyRequests(action:)": PRIVACY_REQUEST_ACTIONS,
}

# --- the checks -------------------------------------------------------------------------------


def refused(field: str, problem: str, limit: int | None = None) -> BadUserInputError:
    """A ``BAD_USER_INPUT`` error naming the field (and the limit it broke), logged; the gateway
    counts it with the other refusals.

    The log line names the field and the limit only, never the value.
    """
    log.info("refused input: '%s' %s", field, problem)
    extensions: dict[str, Any] = {"field": field}
    if limit is not None:
        extensions["limit"] = limit
    return BadUserInputError(f"'{field}' {problem}", **extensions)


def check_text(value: str, field: str, limit: int) -> str:
    """``value`` if it is storable and at most ``limit`` characters; else BAD_USER_INPUT."""
    problem = text_problem(value, limit)
    if problem is not None:
        raise refused(field, problem, limit if len(value) > limit else None)
    return value


def check_count(items: list[Any], field: str, limit: int) -> list[Any]:
    """``items`` if there are at most ``limit``; else BAD_USER_INPUT."""
    if len(items) > limit:
        raise refused(field, f"has more than {limit} items", limit)
    return items


# --- the schema's mutations -------------------------------------------------------------------

#: checks one argument value; the second argument is the value's path for error messages
_Check = Callable[[Any, str], None]


def _named(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _compile(type_: GraphQLInputType, coordinate: str, seen: set[str]) -> _Check | None:
    """A check for values of ``type_`` found at ``coordinate``; None if nothing needs checking.

    Raises ``LookupError`` for a String or list input without a limit.
    """
    type_ = _named(type_)
    if isinstance(type_, GraphQLList):
        limit = LIST_LIMITS.get(coordinate)
        if limit is None:
            raise LookupError(
                f"the list input {coordinate} has no count limit: add it to LIST_LIMITS in "
                "resolvers/services/input_limits.py"
            )
        item = _compile(type_.of_type, coordinate, seen)

        def check_list(value: Any, path: str) -> None:
            if value is None:
                return
            check_count(value, path, limit)
            if item is not None:
                for element in value:
                    item(element, path)

        return check_list
    if isinstance(type_, GraphQLScalarType) and type_.name == "String":
        text_limit = TEXT_LIMITS.get(coordinate)
        if text_limit is None:
            raise LookupError(
                f"the text input {coordinate} has no length limit: add it to TEXT_LIMITS in "
                "resolvers/services/input_limits.py"
            )

        def check_string(value: Any, path: str) -> None:
            if isinstance(value, str):
                check_text(value, path, text_limit)

        return check_string
    if isinstance(type_, GraphQLInputObjectType):
        if type_.name in seen:  # a recursive input type: its fields are checked where it starts
            return None
        fields = {
            (field.out_name or name, name): check
            for name, field in type_.fields.items()
            if (check := _compile(field.type, f"{type_.name}.{name}", {*seen, type_.name}))
            is not None
        }
        if not fields:
            return None

        def check_object(value: Any, path: str) -> None:
            if not isinstance(value, Mapping):
                return
            for (key, name), check in fields.items():
                if key in value:
                    check(value[key], f"{path}.{name}")

        return check_object
    return None


def input_coordinates(schema: GraphQLSchema) -> tuple[set[str], set[str]]:
    """(text, list) coordinates of every String and list input the mutations take, and of the
    list arguments of the ``Query`` root (its text arguments are filters each list bounds)."""
    texts: set[str] = set()
    lists: set[str] = set()

    def walk(type_: GraphQLInputType, coordinate: str, seen: frozenset[str]) -> None:
        type_ = _named(type_)
        if isinstance(type_, GraphQLList):
            lists.add(coordinate)
            walk(type_.of_type, coordinate, seen)
        elif isinstance(type_, GraphQLScalarType) and type_.name == "String":
            texts.add(coordinate)
        elif isinstance(type_, GraphQLInputObjectType) and type_.name not in seen:
            for name, field in type_.fields.items():
                walk(field.type, f"{type_.name}.{name}", seen | {type_.name})

    if schema.mutation_type is not None:
        for field_name, field in schema.mutation_type.fields.items():
            for arg_name, arg in field.args.items():
                walk(arg.type, f"Mutation.{field_name}({arg_name}:)", frozenset())
    mutation_texts = set(texts)
    for field_name, field in schema.query_type.fields.items() if schema.query_type else ():
        for arg_name, arg in field.args.items():
            walk(arg.type, f"Query.{field_name}({arg_name}:)", frozenset())
    return mutation_texts, lists


def _limited(
    inner: Callable[..., Any], checks: dict[tuple[str, str], _Check]
) -> Callable[..., Any]:
    def resolve(source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        for (key, name), check in checks.items():
            if key in kwargs:
                check(kwargs[key], name)
        return inner(source, info, **kwargs)

    return resolve


def install_input_limits(schema: GraphQLSchema) -> None:
    """Check every mutation's text and list arguments before its resolver runs.

    Install before the field guards, so that the guard (may the caller call it at all?) runs
    first and the limits second.
    """
    if schema.mutation_type is None:
        return
    for field_name, field in schema.mutation_type.fields.items():
        checks = {
            (arg.out_name or arg_name, arg_name): check
            for arg_name, arg in field.args.items()
            if (check := _compile(arg.type, f"Mutation.{field_name}({arg_name}:)", set()))
            is not None
        }
        if checks:
            field.resolve = _limited(field.resolve or default_field_resolver, checks)
