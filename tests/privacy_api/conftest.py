"""The privacy tool through the HTTP API (docs/privacy-actions.md).

Privacy actions change state for good (an erasure cannot be undone), so no test here uses the
shared session gateway for them: each module starts gateways of its own, one per backend, on a
fresh demo database (``privacy_api_support.privacy_gateway``).

The export tests compare XML and JSON with the structure helpers of ``tests/privacy``; that
folder is made importable here (appended, so nothing already on the path is shadowed).
"""

from __future__ import annotations

import sys
from pathlib import Path

_PRIVACY_TESTS = str(Path(__file__).resolve().parent.parent / "privacy")
if _PRIVACY_TESTS not in sys.path:
    sys.path.append(_PRIVACY_TESTS)
