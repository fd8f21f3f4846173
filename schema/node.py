"""The Relay ``Node`` interface and the ``DateTime`` scalar."""

from __future__ import annotations

import strawberry


@strawberry.interface
class Node:
    id: strawberry.ID
