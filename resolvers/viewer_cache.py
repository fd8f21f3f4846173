"""Viewers kept between requests, checked against the database once per request.

A viewer (``authz.viewer.Viewer``) takes one statement to load, and the same person asks again
and again while nothing they are made of changes. Each gateway process keeps the viewers it
loaded, by person, with the :class:`~resolvers.viewer.Freshness` they were loaded at. Every
request first identifies its caller (``find_caller``: one statement, which also reads the
caller's current freshness) and uses the kept viewer only when the two are equal; otherwise it
loads the viewer again. Nothing is shared between processes but the database: every write that
changes a viewer's facts raises the ``viewer_epoch`` counter in its own transaction (triggers of
migration 0005), or, for a new conversation participant, the participants' count of
conversation links, so a change is seen by every process's next request once it is committed.

The cache is a bounded LRU: it holds at most ``max_people`` viewers, all loaded at the newest
epoch the process has seen; a viewer loaded at an older one is never used again, so all of them
are dropped as soon as another epoch shows up.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from authz.viewer import Viewer
from config.oidc import IdentifierKind
from resolvers.viewer import CallerMatch, Freshness, find_caller_by, load_viewer_facts

#: viewers kept per process: a few kilobytes each
DEFAULT_MAX_PEOPLE = 10_000


@dataclass(frozen=True, slots=True)
class _Kept:
    viewer: Viewer
    freshness: Freshness


class ViewerCache:
    """The viewers one gateway process loaded, by person (module docstring)."""

    def __init__(self, max_people: int = DEFAULT_MAX_PEOPLE) -> None:
        self.max_people = max_people
        self._kept: OrderedDict[int, _Kept] = OrderedDict()
        self._newest_epoch = -1
        #: requests answered with a kept viewer / with one loaded (tests/api/test_viewer_cache.py)
        self.hits = 0
        self.loads = 0

    def __len__(self) -> int:
        return len(self._kept)

    async def viewer_for(self, engine: AsyncEngine, subject: str) -> Viewer | None:
        """The viewer of the person a token's ``subject`` (a roster sourcedId or username)
        names, or ``None`` when it names no ACTIVE, enabled person (or more than one)."""
        viewer, _match = await self.viewer_by(engine, [("sourced_id_or_username", subject)])
        return viewer

    async def viewer_by(
        self, engine: AsyncEngine, identifiers: Sequence[tuple[IdentifierKind, str]]
    ) -> tuple[Viewer | None, CallerMatch]:
        """The viewer of the person the first of ``identifiers`` naming exactly one ACTIVE,
        enabled person names (``resolvers.viewer.find_caller_by``), and what each identifier
        matched; the viewer is ``None`` when none of them names exactly one person."""
        found = await find_caller_by(engine, identifiers)
        person_id, freshness = found.person_id, found.freshness
        if person_id is None or freshness is None:
            return None, found
        return await self._viewer(engine, person_id, freshness), found

    async def _viewer(self, engine: AsyncEngine, person_id: int, freshness: Freshness) -> Viewer:
        self._note_epoch(freshness)
        kept = self._kept.get(person_id)
        if kept is not None and kept.freshness == freshness and freshness.cacheable:
            self._kept.move_to_end(person_id)
            self.hits += 1
            return kept.viewer
        return await self._load(engine, person_id)

    async def _load(self, engine: AsyncEngine, person_id: int) -> Viewer:
        viewer, freshness = await load_viewer_facts(engine, person_id)
        self.loads += 1
        self._note_epoch(freshness)
        if freshness.cacheable and freshness.epoch == self._newest_epoch:
            self._kept[person_id] = _Kept(viewer, freshness)
            self._kept.move_to_end(person_id)
            while len(self._kept) > self.max_people:
                self._kept.popitem(last=False)
        return viewer

    def _note_epoch(self, freshness: Freshness) -> None:
        """Drop every kept viewer when ``freshness`` has another epoch than they were loaded
        at. A newer one becomes the newest; an older one (a read that began before the newest
        one this process saw, or a database restored from a backup under a running gateway)
        does not, and what is loaded at it is not kept: the counter may reach the epoch of a
        kept viewer again with other facts behind it."""
        epoch = freshness.epoch
        if epoch is None or epoch == self._newest_epoch:
            return
        self._kept.clear()
        self._newest_epoch = max(epoch, self._newest_epoch)
