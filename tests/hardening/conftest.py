"""The hardening tests reuse the API tests' helpers (``tests/api``: the mutations as documents),
the privacy tool's (``tests/privacy_api``: gateways of their own, the privacy mutations) and the
benchmarks' own code (``bench``: the load benchmark's clients, the attacker's documents); these
folders are made importable here (appended, so nothing already on the path is shadowed)."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent.parent
for _folder in (
    _TESTS / "api",
    _TESTS / "privacy_api",
    _TESTS / "privacy",
    _TESTS.parent / "bench",
):
    if str(_folder) not in sys.path:
        sys.path.append(str(_folder))
