"""The hardening tests reuse the API tests' helpers (``tests/api``: the mutations as documents)
and the privacy tool's (``tests/privacy_api``: gateways of their own, the privacy mutations);
both folders are made importable here (appended, so nothing already on the path is shadowed)."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent.parent
for _folder in ("api", "privacy_api", "privacy"):
    if str(_TESTS / _folder) not in sys.path:
        sys.path.append(str(_TESTS / _folder))
