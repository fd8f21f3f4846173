"""Unauthenticated callers (docs/access-policy.md, "Principles" and "### Administrative objects"):
``privacyNotice`` answers everyone; every other root field, query or mutation, answers
``UNAUTHENTICATED``. The root fields are taken from the served schema, so a new one is covered
the day it is added."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_support import LiveGateway
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)

from schema.build import build_schema

NOTICE_FIELDS = (
    "controller dataProtectionOfficer purposes legalBasis categories sources recipients "
    "thirdCountryTransfers retention rights automatedDecisionMaking"
)
PUBLIC = {("query", "privacyNotice")}


def _literal(type_: Any) -> str:
    """A syntactically valid argument value of ``type_`` (its content is never looked at)."""
    if isinstance(type_, GraphQLNonNull):
        return _literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{_literal(type_.of_type)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        required = [
            f"{name}: {_literal(field.type)}"
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        ]
        return "{" + ", ".join(required) + "}"
    assert isinstance(type_, GraphQLScalarType), type_
    return {
        "Int": "1",
        "Float": "1.0",
        "Boolean": "true",
        "DateTime": '"2099-01-01T00:00:00+00:00"',
    }.get(type_.name, '"VXNlcjox"')


def _document(operation: str, name: str, field: GraphQLField) -> str:
    args = ", ".join(
        f"{arg}: {_literal(spec.type)}"
        for arg, spec in field.args.items()
        if isinstance(spec.type, GraphQLNonNull)
    )
    call = f"{name}({args})" if args else name
    scalar = isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
    selection = "" if scalar else " { __typename }"
    return f"{operation} {{ {call}{selection} }}"


def _root_fields() -> list[Any]:
    """(operation, field) of every root field but ``privacyNotice``, from the code's schema."""
    schema = build_schema(None)._schema
    params = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            if (operation, name) not in PUBLIC:
                params.append(
                    pytest.param(_document(operation, name, field), name, id=f"{operation}-{name}")
                )
    return params


def test_privacy_notice_without_a_token(live: LiveGateway) -> None:
    result = live.gql(f"{{ privacyNotice {{ {NOTICE_FIELDS} }} }}")
    assert result.errors == []
    notice = result.data["privacyNotice"]
    assert all(notice[field] not in (None, "", []) for field in NOTICE_FIELDS.split())


def test_privacy_notice_with_a_token_is_the_same(live: LiveGateway) -> None:
    anonymous = live.gql(f"{{ privacyNotice {{ {NOTICE_FIELDS} }} }}")
    student = live.gql(f"{{ privacyNotice {{ {NOTICE_FIELDS} }} }}", as_user="elev.ola")
    assert student.errors == []
    assert student.data == anonymous.data


@pytest.mark.parametrize(("document", "field"), _root_fields())
def test_every_other_root_field_is_unauthenticated_without_a_token(
    live: LiveGateway, document: str, field: str
) -> None:
    result = live.gql(document)
    assert result.data is None or result.data.get(field) is None
    assert result.code_at(field) == "UNAUTHENTICATED", result.errors
    assert result.codes() == {"UNAUTHENTICATED"}


def test_privacy_notice_answers_beside_unauthenticated_fields(live: LiveGateway) -> None:
    result = live.gql("{ privacyNotice { controller } viewer { id } }")
    assert result.data["privacyNotice"]["controller"]
    assert result.data["viewer"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in result.errors] == [
        (["viewer"], "UNAUTHENTICATED")
    ]
