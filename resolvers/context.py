"""The per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLResolveInfo
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import Policy
from authz.problems import ProblemLog
from authz.pseudonyms import Pseudonyms
from authz.relations import ROOT_ANONYMOUS, ROOT_AUTHENTICATED
from authz.viewer import Viewer
from config.ids import expect_id
from config.paging import PageArgs
from config.settings import Settings
from resolvers.effects import RequestEffects
from resolvers.services.actor import Actor

if TYPE_CHECKING:
    from resolvers.loaders import Loaders
    from schema.user import User


@dataclass
class RequestContext:
    engine: AsyncEngine
    policy: Policy
    settings: Settings
    viewer: Viewer | None
    problems: ProblemLog
    loaders: Loaders
    pseudonyms: Pseudonyms
    trace_id: str | None = None
    #: True only in the benchmark's unguarded run: no row rules, no field guards.
    bypass: bool = False
    #: what this request's reads leave behind (audited reads, opened answers), written after it
    effects: RequestEffects = field(default_factory=RequestEffects)
    request: Any = None
    response: Any = None

    @property
    def root_relations(self) -> frozenset[str]:
        return ROOT_AUTHENTICATED if self.viewer is not None else ROOT_ANONYMOUS

    def require_viewer(self) -> Viewer:
        """The authenticated viewer; the root guards make this unreachable without one."""
        if self.viewer is None:
            raise PermissionError("unauthenticated")
        return self.viewer

    def actor(self) -> Actor:
        """The viewer as the performer of a write (mutations)."""
        return Actor(
            engine=self.engine,
            policy=self.policy,
            viewer=self.require_viewer(),
            trace_id=self.trace_id,
        )

    def pseudonym_user(self, person_id: int) -> User:
        from resolvers.builders import build_pseudonym

        return build_pseudonym(self, person_id)

    def page_args(self, first: int | None, after: str | None) -> PageArgs:
        return PageArgs.parse(
            first, after, self.settings.default_page_size, self.settings.max_page_size
        )

    def course_pk(self, global_id: str) -> int:
        return expect_id(global_id, "Course")

    def missing(
        self, info: GraphQLResolveInfo[Any] | strawberry.Info[Any, Any], coordinate: str
    ) -> None:
        """Report that a referenced object is not visible (null + NOT_FOUND, bounded)."""
        raw = info._raw_info if isinstance(info, strawberry.Info) else info
        self.problems.report("NOT_FOUND", coordinate, raw)


Info = strawberry.Info[RequestContext, None]
