"""The GraphQL schema: Strawberry types, one module per domain."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLObjectType
from graphql.execution import Executor
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from authz.call_checks import install_call_check_assertions
from authz.guard import ROOT_TYPES, install_field_guards
from authz.policy import Policy
from resolvers.kinds import KINDS, NODE_KINDS
from resolvers.services.input_limits import install_input_limits
from schema.audit_verification import AuditVerification, AuditVerificationMutation
from schema.batch_erasure import BatchErasureMutation
from schema.connection import Connection, Edge, PageInfo
from schema.coursework import Attachment
from schema.data_requests import DataRequestMutation, DataRequestQuery
from schema.edits import Deleted, EditMutation
from schema.executor import TavleExecutor
from schema.files import FileMutation
from schema.incidents import IncidentMutation, IncidentPerson, IncidentQuery, IncidentScope
from schema.language import LanguageMutation
from schema.mutation import Mutation
from schema.privacy import (
    CategoryEffect,
    PrivacyMutation,
    PrivacyQuery,
    PrivacyRequestItem,
    PrivacyRequestItemCounts,
)
from schema.privacy_notice import PrivacyNotice
from schema.query import Query
from schema.registry import KIND_TYPES
from schema.retention import RetentionQuery, RetentionRule
from schema.scalars import SCALAR_MAP
from schema.school_year import RosterChangeCount, RosterFileDigest
from schema.subscription import Subscription
from schema.user import Preference, RoleAssignment

#: Plumbing: object types whose objects carry no relations of their own, because they only
#: appear under a field of an object the viewer may read (connections and their edges and page
#: info, a person's roles and preferences, an answer's attachments, a privacy
#: request's effects, an import run's counts and digests) or are public (the privacy notice).
#: Their fields are read with ``ROW_ONLY`` (``authz.guard``); every other object type is a
#: kind's type (``schema.registry``), whose objects carry their relations or get no field.
PLUMBING_TYPES: tuple[type[Any], ...] = (
    Connection,
    Edge,
    PageInfo,
    RoleAssignment,
    Preference,
    Attachment,
    CategoryEffect,
    RosterChangeCount,
    RosterFileDigest,
    PrivacyNotice,
    AuditVerification,
    RetentionRule,
    Deleted,
    PrivacyRequestItem,
    PrivacyRequestItemCounts,
    IncidentScope,
    IncidentPerson,
)


class SchemaDeclarationError(RuntimeError):
    """The schema and the declarations of kinds and plumbing types disagree."""


def node_types() -> list[type[Any]]:
    """The Strawberry types of the kinds a global id names, in the order of ``KINDS``."""
    missing = sorted(name for name in KINDS if name not in KIND_TYPES)
    if missing:
        raise SchemaDeclarationError(f"kinds without a Strawberry type (kind_type): {missing}")
    return list(dict.fromkeys(KIND_TYPES[name] for name in NODE_KINDS))


def plumbing_type_names(schema: strawberry.Schema) -> frozenset[str]:
    """The names of ``schema``'s plumbing object types.

    Raises ``SchemaDeclarationError`` for an object type that is neither a root, a kind's type
    nor plumbing, and for a ``Node`` type that is not a kind's: such a type would otherwise be
    guarded without relations (every field FORBIDDEN) or without a row rule.
    """
    kind_classes = set(KIND_TYPES.values())
    plumbing: set[str] = set()
    undeclared: list[str] = []
    for name, gtype in schema._schema.type_map.items():
        if not isinstance(gtype, GraphQLObjectType) or name.startswith("__") or name in ROOT_TYPES:
            continue
        origin = gtype.extensions["strawberry-definition"].origin
        if origin in kind_classes:
            continue
        if "Node" in {i.name for i in gtype.interfaces} or not issubclass(origin, PLUMBING_TYPES):
            undeclared.append(name)
        else:
            plumbing.add(name)
    if undeclared:
        raise SchemaDeclarationError(
            f"object types neither a kind's type nor declared plumbing: {sorted(undeclared)}"
        )
    return frozenset(plumbing)


RootQuery = merge_types(
    "Query", (Query, PrivacyQuery, RetentionQuery, IncidentQuery, DataRequestQuery)
)
RootMutation = merge_types(
    "Mutation",
    (
        Mutation,
        PrivacyMutation,
        BatchErasureMutation,
        EditMutation,
        FileMutation,
        IncidentMutation,
        DataRequestMutation,
        LanguageMutation,
        AuditVerificationMutation,
    ),
)


class TavleSchema(strawberry.Schema):
    """Strawberry's schema, minus its logging of every GraphQL error with a traceback.

    FORBIDDEN and NOT_FOUND are answers, not faults; unexpected exceptions are logged (type and
    path only) where they are masked, in ``gateway.error_codes``.
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        return None


def build_schema(
    policy: Policy | None,
    extensions: list[object] | None = None,
    executor_class: type[Executor[Any]] | None = None,
) -> strawberry.Schema:
    """The schema; with a ``policy`` every field is guarded, without one nothing is (for its
    text and coordinates: ``export-schema``, ``explain``; never served). Building it checks the
    declarations (``node_types``, ``plumbing_type_names``). ``executor_class`` replaces the
    executor (``schema.executor.TavleExecutor``, which ``gateway.limits.discovery`` extends to
    hide suggestions)."""
    schema = TavleSchema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=Subscription,
        types=node_types(),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
        extensions=extensions or [],  # type: ignore[arg-type]
        execution_context_class=executor_class or TavleExecutor,
    )
    # Every mutation must run its call check (authz.call_checks): asserted around the resolver
    # itself. Then the input limits: the field guards wrap both, so a caller who may not call a
    # mutation learns nothing from its limits.
    install_call_check_assertions(schema._schema)
    install_input_limits(schema._schema)
    plumbing = plumbing_type_names(schema)
    if policy is not None:
        install_field_guards(schema, policy, plumbing)
    return schema
