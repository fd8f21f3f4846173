"""Another caller's answer times while an attacker works, both sides run by ``attacker.py``.

Attacker and probe each run in a process of their own, as a real attacker's and a real user's
machines would, so that their CPU work does not compete with the gateway, which runs in the
test's process; the probe connects from another loopback address (``PROBE_ADDRESS``), as another
client would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gateway_support import LiveGateway

#: the spec's bound for other callers' answers during an attack
BOUND_SECONDS = 1.0
#: how long each attack goes on while the probes run
ATTACK_SECONDS = 1.5
#: the probe must have asked at least twice each (``/healthz`` and ``{ __typename }``) while the
#: attack ran; how many more times depends on the machine's speed, not on the gateway
MIN_PROBES = 4
ATTACKER = Path(__file__).with_name("attacker.py")
#: the probe's address: another client than the attacker's 127.0.0.1
PROBE_ADDRESS = "127.0.0.2"


def under_attack(
    live: LiveGateway, folder: Path, document: str, user: str | None, connections: int = 1
) -> tuple[list[float], list[str]]:
    """The probe's answer times while ``document`` is sent over and over by the attacker (as
    ``user``, or without a token), on ``connections`` connections at once, and the codes the
    attacker got. The probe asks ``GET /healthz`` and, as larer.dahl, ``{ __typename }``; a
    wrong or refused answer to it stops it with an error, which fails the call."""
    body = folder / "attack.json"
    body.write_text(json.dumps({"query": document}), encoding="utf-8")
    token = live.token(user) if user else ""
    attack = [sys.executable, str(ATTACKER), "attack", live.url, str(body), str(ATTACK_SECONDS)]
    attacker = subprocess.Popen(
        [*attack, token, str(connections)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert attacker.stdout is not None
        assert attacker.stdout.readline().strip() == "started"
        probe = [sys.executable, str(ATTACKER), "probe", live.url, live.token("larer.dahl")]
        probed = subprocess.run(
            [*probe, str(ATTACK_SECONDS), PROBE_ADDRESS],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        codes: list[str] = json.loads(attacker.stdout.readline())
    finally:
        attacker.kill()
        attacker.wait()
    latencies: list[float] = json.loads(probed.stdout)
    return latencies, codes
