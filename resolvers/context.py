"""The per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import GraphQLResolveInfo
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import Policy
from authz.problems import ProblemLog
from authz.pseudonyms import Pseudonyms
from authz.relations import ROOT_ANONYMOUS, ROOT_AUTHENTICATED
from authz.viewer import Viewer
from config.language import pick
from config.paging import PageArgs
from config.settings import Settings
from resolvers.effects import RequestEffects
from resolvers.loaders import Loaders
from resolvers.materialize import pseudonym
from resolvers.records import PseudonymRecord
from resolvers.services.actor import Actor
from resolvers.viewer import load_viewer
from store.access_log import AccessLogBuffer


@dataclass
class RequestContext:
    engine: AsyncEngine
    policy: Policy
    settings: Settings
    viewer: Viewer | None
    problems: ProblemLog
    pseudonyms: Pseudonyms
    trace_id: str | None = None
    #: what this request's reads leave behind (audited reads, opened answers), written after it
    effects: RequestEffects = field(default_factory=RequestEffects)
    request: Any = None
    response: Any = None
    #: the key download links of files are signed with (``gateway.keyfile``); empty: no links
    file_url_key: bytes = b""
    #: the process's staff access log buffer (``gateway.access_log``); None: not logged
    access_log: AccessLogBuffer | None = None
    #: the viewer's stored language (None: anonymous, or none chosen) and the supported language
    #: the request's ``Accept-Language`` header asks for (``config.language``; None: none)
    preferred_language: str | None = None
    accept_language: str | None = None
    #: the people whose erasure preview (``User.erasurePreview``) this request computed: one
    #: per operation, as it costs a few statements per data category
    erasure_previews: set[int] = field(default_factory=set)
    #: the request's loaders, each made on first use
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @property
    def language(self) -> str:
        """The language Tavle's own words are given in for this request: the viewer's stored
        preference, else the header's choice, else Bokmål."""
        return pick(self.preferred_language, self.accept_language)

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

    async def reload_viewer(self) -> None:
        """Load the viewer again after a write changed what they take part in (a conversation
        they started), and forget what the loaders hold, which was read as the viewer was."""
        viewer = self.require_viewer()
        self.viewer = await load_viewer(self.engine, viewer.person_id)
        self.loaders = Loaders(self)

    def pseudonym(self, person_id: int) -> PseudonymRecord:
        """The stand-in record for a restricted or erased person."""
        return pseudonym(self.pseudonyms, person_id)

    def page_args(
        self,
        first: int | None,
        after: str | None,
        last: int | None = None,
        before: str | None = None,
        *,
        connection: str = "",
        descending: bool = False,
    ) -> PageArgs:
        return PageArgs.parse(
            first,
            after,
            self.settings.default_page_size,
            self.settings.max_page_size,
            last=last,
            before=before,
            connection=connection,
            descending=descending,
        )

    def missing(
        self, info: GraphQLResolveInfo[Any] | strawberry.Info[Any, Any], coordinate: str
    ) -> None:
        """Report that a referenced object is not visible (null + NOT_FOUND, bounded)."""
        raw = info._raw_info if isinstance(info, strawberry.Info) else info
        self.problems.report("NOT_FOUND", coordinate, raw)


Info = strawberry.Info[RequestContext, None]
