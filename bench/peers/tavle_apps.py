"""Tavle itself, twice: guarded by the shipped policy, and "unguarded" by a permissive one.

Both are the real ASGI application (``gateway.app.create_app``: middleware, authentication, the
viewer, loaders through row scopes, field guards, response effects), each from its own
``AppState`` and engine on the same database. The unguarded one differs only in its policy file,
which the benchmark writes: every coordinate the shipped policy names is granted to a relation
every authenticated caller holds on every object ("authenticated" for ``see``, which compiles to
``WHERE true``; "anyone" for ``read`` and ``call``). So the comparison isolates what the shipped
rules cost (row-rule SQL, refused fields); computing each object's relations and the guards'
memo lookups happen in both.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette

from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy
from config.settings import Settings
from gateway.app import create_app
from gateway.state import AppState


def write_permissive_policy(path: Path) -> int:
    """A policy granting every coordinate of ``authz/policy.csv``; returns its line count."""
    shipped = Policy(DEFAULT_MODEL, DEFAULT_POLICY)
    lines = [
        "# Written by bench/peers/tavle_apps.py: every coordinate of authz/policy.csv, granted",
        "# to a relation every authenticated caller holds on every object.",
    ]
    coordinates = sorted(shipped.coordinates())
    for obj, act in coordinates:
        relation = "authenticated" if act == "see" else "anyone"
        lines.append(f"p, {relation}, {obj}, {act}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(coordinates)


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[Starlette, AppState]]:
    """The gateway app for ``settings`` with its lifespan running (migration, instrumentation)."""
    state = AppState.create(settings)
    app = create_app(settings, state=state)
    async with app.router.lifespan_context(app):
        yield app, state
