"""One person by id, for the person's page and its action pages, whatever their state.

``user(id)`` answers for active people only (a restricted person is out of everyday processing),
so each operation asks for the person twice in one read: by ``user(id)`` and from the directory
by id in state RESTRICTED (``users(ids: [$id], state: RESTRICTED)``, which answers system
administrators only). At most one of the two finds them; which one says nothing the page does
not show anyway (the person's state).
"""

from __future__ import annotations

from typing import Any


def person_operation(name: str, fields: str, variables: str = "", more: str = "") -> str:
    """A query ``name`` taking ``$id`` (and ``variables``, declared as in GraphQL) that reads the
    viewer, the person's ``fields`` both ways (``found_person`` picks the answer) and ``more``
    root fields beside them."""
    return f"""
query {name}($id: ID!{variables}) {{
  viewer {{ id displayName }}
  user(id: $id) {{ ...{name}Person }}
  restricted: users(ids: [$id], state: RESTRICTED, first: 1) {{
    edges {{ node {{ ...{name}Person }} }}
  }}
  {more}
}}

fragment {name}Person on User {{ {fields} }}
"""


def found_person(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The person a ``person_operation`` found: active by ``user``, else restricted; or None."""
    if not data:
        return None
    user = data.get("user")
    if user is not None:
        return dict(user)
    edges = (data.get("restricted") or {}).get("edges") or []
    return dict(edges[0]["node"]) if edges else None
