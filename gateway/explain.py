"""Why may (or may not) a viewer read a field of an object? (``tavle explain``).

Casbin's ``enforce_ex`` is weak at explaining denials, so this walks the same two
steps the gateway takes, with the gateway's own code:

1. Row: is the object visible at all? The kind's row scope (``resolvers.scopes``) is run for the
   viewer, exactly as every loader runs it. An invisible object resolves to null + NOT_FOUND, so
   every field of it is denied; the ``see`` lines of the type are listed.
2. Field: the object's record is made as the loaders make it (``resolvers.materialize``), so its
   relation set is the one the field guard would look up. The ``read`` lines for ``Type.field``
   are listed with the line and relation that granted the read (``g`` implications included, e.g.
   course_teacher implies course_member), or, when denied, the relations held against the
   relations that would grant. For an object the viewer may not see, the row is read without the
   row rule (``resolvers.scopes.diagnostic_select``) only to show the relations its facts give.

The decision printed is ``Policy.allows`` on that relation set: the field guard's own decision.
No SQL lives here: rows come through ``resolvers.scopes`` and ``resolvers.fetch``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.guard import schema_coordinates
from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Action, Policy
from authz.pseudonyms import Pseudonyms
from authz.relations import BASE_RELATIONS
from authz.viewer import Viewer
from config.ids import from_global_id
from config.settings import Settings
from gateway.keyfile import pseudonym_key
from resolvers.fetch import Row, by_ids
from resolvers.kinds import NODE_KINDS
from resolvers.materialize import records_of
from resolvers.scopes import diagnostic_select, scoped_select
from resolvers.viewer import find_person_id, load_viewer
from schema.build import build_schema
from store.db import make_engine, migrate

#: Relations every visible object carries; not interesting as "the viewer's relations".
_AMBIENT = frozenset({"anyone", "authenticated"})


@dataclass(frozen=True)
class Grant:
    """One policy line and the held relation that satisfies it (directly or through ``g``)."""

    line: tuple[str, ...]
    held: str

    def render(self) -> str:
        wanted = self.line[0]
        how = wanted if self.held == wanted else f"{self.held} -> {wanted} (g)"
        return f"{_line(self.line)}  [relation: {how}]"


def _line(rule: Sequence[str]) -> str:
    return "p, " + ", ".join(rule)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _parse_object(object_id: str) -> tuple[str, int]:
    try:
        type_name, pk = from_global_id(object_id)
    except GraphQLError as exc:
        raise LookupError(f"'{object_id}' is not a Tavle global id") from exc
    if type_name not in NODE_KINDS:
        known = ", ".join(sorted(NODE_KINDS))
        raise LookupError(f"'{object_id}' is a {type_name} id; explain knows the types {known}")
    return type_name, pk


def _coordinate(type_name: str, field: str, coordinates: Iterable[str]) -> str:
    """``email`` or ``User.email`` (or ``user.national_id``) as a schema coordinate."""
    if not re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*", field):
        raise LookupError(f"'{field}' is not a field name (email) or a coordinate (User.email)")
    owner, _, name = field.rpartition(".")
    if owner and owner.lower() != type_name.lower():
        raise LookupError(f"the field '{field}' is not on the object's type {type_name}")
    fields = {c.partition(".")[2] for c in coordinates if c.partition(".")[0] == type_name}
    for candidate in (name, _camel(name)):
        if candidate in fields:
            return f"{type_name}.{candidate}"
    raise LookupError(
        f"{type_name} has no field '{name}'; its fields are: {', '.join(sorted(fields))}"
    )


def _closure(policy: Policy, held: Iterable[str]) -> dict[str, str]:
    """Every relation held directly or through ``g`` lines -> the held relation that gives it."""
    found: dict[str, str] = {}
    for rel in sorted(held):
        found.setdefault(rel, rel)
    for rel in sorted(held):
        for implied in policy.implied_by(rel):
            found.setdefault(implied, rel)
    return found


def _grants(
    policy: Policy, held: Iterable[str], obj: str, act: Action
) -> tuple[list[Grant], list[list[str]]]:
    """The ``p`` lines for (obj, act) that ``held`` satisfies, and all of them."""
    lines = policy.lines_for(obj, act)
    closure = _closure(policy, held)
    grants = [Grant(tuple(rule), closure[rule[0]]) for rule in lines if rule[0] in closure]
    return grants, lines


def _relations_text(policy: Policy, held: Iterable[str]) -> str:
    shown = sorted(set(held) - _AMBIENT)
    implied = sorted({i for rel in shown for i in policy.implied_by(rel)} - set(shown))
    text = ", ".join(shown) or "(none)"
    if implied:
        text += f"  (implying {', '.join(implied)})"
    return text


@dataclass(frozen=True)
class _Reading:
    """What the scopes and ``records_of`` need: the viewer, the policy, the database."""

    engine: AsyncEngine
    policy: Policy
    viewer: Viewer
    pseudonyms: Pseudonyms


@dataclass(frozen=True)
class _Findings:
    visible: bool
    relations: frozenset[str]


async def _investigate(
    settings: Settings, policy: Policy, subject: str, type_name: str, pk: int
) -> tuple[Viewer, _Findings]:
    url = settings.resolved_database_url()
    await migrate(url)
    engine = make_engine(url)
    try:
        person_id = await find_person_id(engine, subject)
        if person_id is None:
            raise LookupError(f"no active person with sourcedId or username '{subject}'")
        viewer = await load_viewer(engine, person_id)
        kind = NODE_KINDS[type_name]
        reading = _Reading(engine, policy, viewer, Pseudonyms(pseudonym_key(settings)))
        rows: dict[int, Row] = await by_ids(engine, scoped_select(kind, reading), kind.key, [pk])
        visible = pk in rows
        if not visible:
            # Only the kind's "always" condition, no row rule: the object's facts can still be
            # shown, and with them why the row rule hides it.
            rows = await by_ids(engine, diagnostic_select(kind), kind.key, [pk])
            if pk not in rows:
                raise LookupError(
                    f"no {type_name} with internal id {pk} exists (or it is restricted or erased)"
                )
        # Made exactly as a loader makes it, so its relations are what the field guard reads.
        [record] = await records_of(reading, kind, [rows[pk]])
        relations: frozenset[str] = record.relations
        if not visible:
            relations = relations - {"row"}
        return viewer, _Findings(visible, relations)
    finally:
        await engine.dispose()


async def explain(settings: Settings, viewer: str, object_id: str, field: str) -> tuple[str, bool]:
    """Explain whether ``viewer`` may read ``field`` of ``object_id``: (report, allowed).

    Raises LookupError for an unknown viewer, object or field.
    """
    type_name, pk = _parse_object(object_id)
    coordinate = _coordinate(type_name, field, schema_coordinates(build_schema(None)))
    policy = Policy(DEFAULT_MODEL, settings.policy_file or DEFAULT_POLICY)
    who, found = await _investigate(settings, policy, viewer, type_name, pk)
    held = found.relations

    allowed = found.visible and policy.allows(held, coordinate, "read")
    verdict = "ALLOW" if allowed else "DENY"
    may = "may" if allowed else "may not"
    out = [
        f"{verdict}: {viewer} {may} read {coordinate} of {type_name} {object_id} (id {pk})",
        f"viewer:     {viewer} (person {who.person_id}; roles: "
        f"{', '.join(sorted(who.role_names)) or 'none'})",
    ]

    see_grants, see_lines = _grants(policy, held, type_name, "see")
    if found.visible:
        out.append(f"row:        visible (row scope {type_name}); granted by:")
        out.extend(f"              {g.render()}" for g in see_grants)
        if not see_grants:
            out.append(
                "              (no see line matched the Python relations; see the row "
                "scope in resolvers/scopes.py)"
            )
    else:
        out.append(
            f"row:        not visible: the {type_name} row scope hides this object from {viewer},"
            " so every field of it is denied (null + NOT_FOUND)"
        )
        out.append(f"            {type_name} rows are visible through these see lines:")
        out.extend(f"              {_line(rule)}" for rule in see_lines)
        if not see_grants:
            out.append(f"            {viewer} holds none of these relations to the object")
        else:
            out.append(
                "            note: the Python relations satisfy "
                f"{see_grants[0].render()}, but the SQL row rule does not; "
                "relations.py's two paths disagree"
            )
    out.append(f"relations:  {_relations_text(policy, held)}")

    field_grants, field_lines = _grants(policy, held, coordinate, "read")
    out.append(f"policy:     {coordinate} read lines:")
    out.extend(f"              {_line(rule)}" for rule in field_lines)
    if not field_lines:
        out.append("              (none: the field is denied to everyone, deny by default)")

    if allowed:
        out.append(
            "granted by: " + field_grants[0].render()
            if field_grants
            else "granted by: (policy allows, but no line matched; check g implications)"
        )
        out.extend(f"also:       {g.render()}" for g in field_grants[1:])
    elif found.visible:
        wanted = sorted({rule[0] for rule in field_lines})
        out.append(
            f"denied:     {viewer} holds none of the granting relations; "
            f"holds {_relations_text(policy, held)}"
        )
        out.append(f"            would grant: {', '.join(wanted) or '(nothing)'}")
        implied_by = sorted(
            rel for rel in BASE_RELATIONS if set(policy.implied_by(rel)) & set(wanted)
        )
        if implied_by:
            out.append(f"            (or, through g lines: {', '.join(implied_by)})")
    else:
        if field_grants:
            out.append(
                f"field:      the relations would grant {coordinate} "
                f"({field_grants[0].render()}), but the row is not visible"
            )
        out.append(f"denied:     the row is not visible to {viewer}")
    return "\n".join(out), allowed
