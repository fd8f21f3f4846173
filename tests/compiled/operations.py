"""Hypothesis strategies: query operations drawn from the schema, with the ids of real objects.

An operation is one to three root fields of ``Query``, each with a selection drawn from its type
in the schema: fields picked at random (aliased now and then), their arguments drawn (page sizes
in and out of range, cursors real and malformed, ids of every type, of objects the viewer may
or may not see, and malformed ones, enum and boolean filters), given inline or as variables;
parts of a selection wrapped in inline fragments (with or without a type condition) or named
fragments; ``@include``/``@skip`` with variables of both values; ``__typename`` anywhere; the
``Node`` interface with inline fragments on its types. Depth is bounded so that documents stay
within the gateway's operation limits.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from hypothesis import strategies as st

from config.ids import to_global_id
from config.paging import encode_cursor

#: root fields the compiled path plans (declared in resolvers/root_fields.py)
PLANNED_ROOTS = (
    "viewer",
    "node",
    "user",
    "school",
    "course",
    "courses",
    "submission",
    "assessment",
    "conversations",
    "documents",
    "calendarEvents",
    "rosterImports",
    "privacyNotice",
    "recycleBin",
    "privacyRequest",
    "privacyRequests",
    "auditLog",
    "users",
    "retentionPolicy",
    "expiredSubjects",
)
#: root fields it does not plan (introspection): an operation with one runs on graphql-core
UNPLANNED_ROOTS = ("__type",)
#: fields it does not plan, left out of generated operations (an operation selecting one runs on
#: graphql-core: tests/compiled/test_compiled_cases.py): the erasure preview counts with each
#: privacy provider's own statements, not through a loader
UNPLANNED_FIELDS = frozenset({"User.erasurePreview"})
#: their selections
UNPLANNED_SELECTIONS = {"__type": '__type(name: "User") { name kind }'}
#: the type of global id each ID argument takes
ID_ARGUMENTS = {
    "courseId": "Course",
    "studentId": "User",
    "subjectId": "User",
    "actorId": "User",
    "schoolId": "School",
}
#: ``users(search:)`` texts: parts of names and usernames, any case, wildcards, nothing
SEARCHES = ("", "a", "OLA", "larer.", "Bjørn", "BJØRN", "%", "_", "zzz")
MALFORMED_IDS = (
    "",
    "not-an-id",
    "VXNlcjow",  # User:0
    base64.urlsafe_b64encode(b"User:abc").decode().rstrip("="),
    base64.urlsafe_b64encode(b"User:0015").decode().rstrip("="),
    to_global_id("Pseudonym", "label"),
    to_global_id("Nothing", 1),
    to_global_id("User", 2**31),
)
#: page sizes (``first``) in range, and out of range (a tenth of the draws)
PAGE_SIZES = (0, 1, 2, 5, 10, 100, 100)
BAD_PAGE_SIZES = (-1, 501)


@dataclass(frozen=True)
class Operation:
    text: str
    variables: dict[str, Any]
    #: whether every root field is one the compiled path plans
    planned: bool


Draw = Callable[[st.SearchStrategy[Any]], Any]


@dataclass
class _Builder:
    draw: Draw
    schema: GraphQLSchema
    ids: dict[str, list[str]]
    variables: dict[str, tuple[str, Any]] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    names: int = 0

    def fresh(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    # --- values ---------------------------------------------------------------------------

    def any_id(self, wanted: str | None) -> str:
        """Mostly the id of a real object of the ``wanted`` type (any type: None), which the
        viewer may or may not see; else one of another type, of nothing, or malformed."""
        if wanted is None:
            real = [i for pool in self.ids.values() for i in pool]
        else:
            real = self.ids.get(wanted, [])
        if real and self.draw(st.integers(0, 4)) > 0:
            return str(self.draw(st.sampled_from(real)))
        others = [i for name, pool in self.ids.items() if name != wanted for i in pool[:30]]
        choices: list[st.SearchStrategy[str]] = [st.sampled_from(MALFORMED_IDS)]
        if others:
            choices.append(st.sampled_from(others))
        if wanted is not None:
            choices.append(st.just(to_global_id(wanted, 999_999)))
        return str(self.draw(st.one_of(choices)))

    def cursor(self, coordinate: str) -> str:
        """A cursor: mostly of this connection (in either ordering, so now and then of the
        other one), now and then of another connection, or malformed."""
        roll = self.draw(st.integers(0, 9))
        if roll == 0:
            return str(self.draw(st.sampled_from(["garbage", encode_cursor(2**31), ""])))
        if roll == 1:
            coordinate = self.draw(st.sampled_from(["Course.posts", "Query.courses", ""]))
        return encode_cursor(self.draw(st.integers(0, 60)), coordinate, self.draw(st.booleans()))

    def value(
        self, name: str, arg: GraphQLArgument, parent: str, coordinate: str = ""
    ) -> tuple[bool, Any]:
        """(given?, value) for an argument."""
        required = isinstance(arg.type, GraphQLNonNull)
        named = get_named_type(arg.type)
        if name == "id":
            return True, self.any_id(None if parent in ("node",) else _lookup_type(parent))
        if not required and self.draw(st.integers(0, 2)) == 0:
            return False, None
        if name == "last" and self.draw(st.integers(0, 2)) > 0:
            return False, None
        if name in ("first", "last"):
            sizes = BAD_PAGE_SIZES if self.draw(st.integers(0, 9)) == 0 else PAGE_SIZES
            return True, self.draw(st.sampled_from(sizes))
        if name in ("after", "before"):
            if self.draw(st.integers(0, 2)) > 0:
                return False, None
            return True, self.cursor(coordinate)
        if name == "search":
            return True, self.draw(st.sampled_from(SEARCHES))
        if name in ID_ARGUMENTS:
            if self.draw(st.booleans()):
                return True, None
            return True, self.any_id(ID_ARGUMENTS[name])
        if isinstance(named, GraphQLEnumType):
            return True, self.draw(st.sampled_from([None, *named.values]))
        if named.name == "Boolean":
            return True, self.draw(st.sampled_from([None, True, False]))
        return False, None

    def literal(self, value: Any, named: Any) -> str:
        if value is None:
            return "null"
        if isinstance(named, GraphQLEnumType):
            return str(value)
        return json.dumps(value)

    def arguments(self, field_name: str, gfield: GraphQLField, owner: str = "Query") -> str:
        parts = []
        for name, arg in gfield.args.items():
            given, value = self.value(name, arg, field_name, f"{owner}.{field_name}")
            if not given:
                continue
            named = get_named_type(arg.type)
            if self.draw(st.integers(0, 3)) == 0:
                variable = self.fresh("v")
                self.variables[variable] = (str(arg.type), value)
                parts.append(f"{name}: ${variable}")
            else:
                parts.append(f"{name}: {self.literal(value, named)}")
        return f"({', '.join(parts)})" if parts else ""

    def directive(self) -> str:
        """Now and then ``@include`` or ``@skip``; three times in four the field stays."""
        if self.draw(st.integers(0, 6)) != 0:
            return ""
        variable = self.fresh("b")
        which = self.draw(st.sampled_from(["include", "skip"]))
        stays = self.draw(st.integers(0, 3)) > 0
        self.variables[variable] = ("Boolean!", stays if which == "include" else not stays)
        return f" @{which}(if: ${variable})"

    # --- selections -----------------------------------------------------------------------

    def selection(self, type_: GraphQLObjectType | GraphQLInterfaceType, depth: int) -> str:
        if isinstance(type_, GraphQLInterfaceType):
            return self.interface(type_, depth)
        names = [
            name
            for name, gfield in type_.fields.items()
            if (depth > 0 or (not _composite(gfield) and not gfield.args))
            and f"{type_.name}.{name}" not in UNPLANNED_FIELDS
        ]
        chosen = self.draw(
            st.lists(st.sampled_from([*names, "__typename"]), min_size=1, max_size=6, unique=True)
        )
        # Connections mostly reach their nodes: that is where the data is.
        for path in ("edges", "node"):
            if path in names and path not in chosen and self.draw(st.integers(0, 3)) > 0:
                chosen.append(path)
        parts = [self.field(type_, name, depth) for name in chosen]
        return self.wrapped(type_, parts, depth)

    def interface(self, type_: GraphQLInterfaceType, depth: int) -> str:
        parts = list(
            self.draw(st.lists(st.sampled_from(["id", "__typename"]), max_size=2, unique=True))
        )
        possible = sorted(self.schema.get_possible_types(type_), key=lambda t: t.name)
        for target in self.draw(st.lists(st.sampled_from(possible), max_size=2, unique=True)):
            inner = self.selection(target, max(depth - 1, 0))
            parts.append(f"... on {target.name}{self.directive()} {{ {inner} }}")
        if not parts:
            parts.append("__typename")
        return " ".join(parts)

    def wrapped(self, type_: GraphQLObjectType, parts: list[str], depth: int) -> str:
        """Some of ``parts`` moved into an inline or a named fragment."""
        how = self.draw(st.integers(0, 5))
        if how > 1 or len(parts) < 1:
            return " ".join(parts)
        cut = self.draw(st.integers(0, len(parts) - 1))
        kept, moved = parts[:cut], parts[cut:]
        if how == 0:
            condition = self.draw(st.sampled_from(["", f" on {type_.name}"]))
            kept.append(f"...{condition}{self.directive()} {{ {' '.join(moved)} }}")
        else:
            name = self.fresh("F")
            self.fragments.append(f"fragment {name} on {type_.name} {{ {' '.join(moved)} }}")
            kept.append(f"...{name}{self.directive()}")
        return " ".join(kept)

    def field(self, parent: GraphQLObjectType, name: str, depth: int) -> str:
        alias = f"{self.fresh('a')}: " if self.draw(st.integers(0, 4)) == 0 else ""
        if name == "__typename":
            return f"{alias}__typename{self.directive()}"
        gfield = parent.fields[name]
        arguments = self.arguments(name, gfield, parent.name)
        named = get_named_type(gfield.type)
        text = f"{alias}{name}{arguments}{self.directive()}"
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            inner = self.selection(named, depth - 1)
            text = f"{text} {{ {inner} }}"
        return text

    def operation(self, roots: list[str], depth: int) -> str:
        query = self.schema.query_type
        assert query is not None
        parts = [
            UNPLANNED_SELECTIONS[name]
            if name in UNPLANNED_SELECTIONS
            else self.field(query, name, depth)
            for name in roots
        ]
        declared = ", ".join(f"${name}: {type_}" for name, (type_, _v) in self.variables.items())
        header = f"query Generated({declared})" if declared else "query Generated"
        return "\n".join([f"{header} {{ {' '.join(parts)} }}", *self.fragments])


def _composite(gfield: GraphQLField) -> bool:
    return isinstance(get_named_type(gfield.type), GraphQLObjectType | GraphQLInterfaceType)


def _lookup_type(field_name: str) -> str:
    return field_name[0].upper() + field_name[1:]


@st.composite
def operations(draw: Draw, schema: GraphQLSchema, ids: dict[str, list[str]]) -> Operation:
    # the lists reach most of the data a viewer may see: drawn twice as often as the rest
    weighted = (*PLANNED_ROOTS, "viewer", "courses", "conversations", "documents")
    roots = draw(st.lists(st.sampled_from(weighted), min_size=1, max_size=3, unique=True))
    if draw(st.integers(0, 9)) == 0:
        roots.append(draw(st.sampled_from(UNPLANNED_ROOTS)))
    builder = _Builder(draw, schema, ids)
    depth = draw(st.integers(2, 6))
    text = builder.operation(roots, depth)
    variables = {name: value for name, (_type, value) in builder.variables.items()}
    return Operation(text, variables, planned=not set(roots) & set(UNPLANNED_ROOTS))
