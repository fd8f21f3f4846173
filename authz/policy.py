"""The Casbin policy, compiled into cheap decisions.

Casbin (``casbin_model.conf`` at the repository root, linked as ``authz/casbin_model.conf`` so
the wheel carries it, and ``authz/policy.csv``) is the single source of truth, but one
``enforce()`` costs 100-200 µs, far too much per field per row (README, "Design"). The answer for
(relation set, coordinate, action) never changes until the policy does, so it is memoised here:
the first request for a key calls ``enforce()`` once per relation, every later one is a dict
lookup. ``reload()`` drops every memo, including the per-coordinate tables the field guards hold.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import casbin

# Casbin logs every policy line on load and every denied request at WARNING: a flood, since the
# memo asks one relation at a time. Levels are set per logger, because a later dictConfig (e.g.
# uvicorn's) re-enables the loggers Casbin disables but leaves their levels alone.
for _name in ("casbin", "casbin.enforcer", "casbin.policy", "casbin.role"):
    logging.getLogger(_name).setLevel(logging.ERROR)
log = logging.getLogger("tavle.policy")

DEFAULT_MODEL = Path(__file__).with_name("casbin_model.conf")
DEFAULT_POLICY = Path(__file__).with_name("policy.csv")

Action = Literal["see", "read", "call"]
Relations = frozenset[str]


class Policy:
    """Compiled decisions over one Casbin enforcer."""

    def __init__(
        self, model_path: Path = DEFAULT_MODEL, policy_path: Path = DEFAULT_POLICY
    ) -> None:
        self.model_path = model_path
        self.policy_path = policy_path
        self._lock = threading.Lock()
        self._enforcer = casbin.Enforcer(str(model_path), str(policy_path))
        # coordinate/action -> {relation set -> allowed}; the inner dicts are handed to the field
        # guards, so reload() clears them in place rather than replacing them.
        self._memo: dict[tuple[str, str], dict[Relations, bool]] = {}
        self._granting: dict[tuple[str, str, frozenset[str]], frozenset[str]] = {}
        self._loaded_mtime = self._mtime()
        self._next_check = 0.0
        #: Raised by every ``reload()``: what is compiled from the decisions outside this class
        #: (the compiled execution's plans, ``gateway.compiled``) is keyed on it.
        self.version = 0

    def _mtime(self) -> float:
        try:
            return self.policy_path.stat().st_mtime
        except OSError:
            return 0.0

    def refresh_if_changed(self, interval: float = 2.0) -> bool:
        """Reload when the policy file changed on disk; checked at most every ``interval`` s.

        Every gateway process reads the same file, so an edit reaches all of them within
        ``interval`` seconds without a broker.
        """
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + interval
        mtime = self._mtime()
        if mtime == self._loaded_mtime:
            return False
        self._loaded_mtime = mtime
        self.reload()
        log.info("policy reloaded from %s", self.policy_path)
        return True

    def reload(self) -> None:
        """Re-read the policy file and forget every compiled decision."""
        with self._lock:
            self._enforcer.load_policy()
            for table in self._memo.values():
                table.clear()
            self._granting.clear()
            self.version += 1

    def memo_for(self, obj: str, act: Action) -> dict[Relations, bool]:
        """The memo table for one coordinate: the field guard's fast path reads it directly."""
        key = (obj, act)
        table = self._memo.get(key)
        if table is None:
            table = self._memo.setdefault(key, {})
        return table

    def allows(self, relations: Relations, obj: str, act: Action) -> bool:
        table = self.memo_for(obj, act)
        decision = table.get(relations)
        if decision is None:
            decision = self.decide(relations, obj, act)
            table[relations] = decision
        return decision

    def decide(self, relations: Iterable[str], obj: str, act: Action) -> bool:
        """The uncached answer: does any held relation grant ``act`` on ``obj``?"""
        with self._lock:
            return any(self._enforcer.enforce(rel, obj, act) for rel in relations)

    def granting_relations(
        self, obj: str, act: Action, candidates: Iterable[str]
    ) -> frozenset[str]:
        """Which of ``candidates`` grant ``act`` on ``obj`` (used to compile row rules into SQL)."""
        asked = frozenset(candidates)
        key = (obj, act, asked)
        cached = self._granting.get(key)
        if cached is None:
            with self._lock:
                cached = frozenset(rel for rel in asked if self._enforcer.enforce(rel, obj, act))
            self._granting[key] = cached
        return cached

    def lines_for(self, obj: str, act: Action) -> list[list[str]]:
        """The raw ``p`` lines naming ``obj``/``act`` (for explain and the completeness test)."""
        with self._lock:
            return [list(rule) for rule in self._enforcer.get_filtered_policy(1, obj, act)]

    def implied_by(self, relation: str) -> list[str]:
        """Relations that ``relation`` implies through ``g`` lines (transitively)."""
        with self._lock:
            return list(self._enforcer.get_implicit_roles_for_user(relation))

    def coordinates(self) -> set[tuple[str, str]]:
        with self._lock:
            return {(rule[1], rule[2]) for rule in self._enforcer.get_policy()}
