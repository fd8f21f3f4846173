"""The two sides of a responsiveness test, each in a process of its own.

``python attacker.py attack URL BODY_FILE SECONDS [TOKEN [CONNECTIONS]]`` posts one GraphQL body
again and again: it prints ``started`` once the first answer is in, keeps sending for SECONDS on
CONNECTIONS connections at once (default one), and prints the answers' ``extensions.code``
values (``ok`` for an answer without errors) as one JSON list. An empty TOKEN sends none.

``python attacker.py probe URL TOKEN SECONDS [SOURCE_ADDRESS]`` asks ``GET /healthz`` and, as the
token's person, ``{ __typename }`` every 20 ms for SECONDS, and prints each answer's time in
seconds as one JSON list (a wrong answer is an error). With SOURCE_ADDRESS (``127.0.0.2``: the
whole of 127.0.0.0/8 is this machine) it connects from that address, so the gateway sees another
client than the attacker.

Separate processes, like the separate machines of a real attacker and a real user: neither
competes with the gateway, which runs in the test's process, for its interpreter lock.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import httpx

TYPENAME = {"query": "{ __typename }"}


def code_of(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors")
    except ValueError:
        return f"HTTP {response.status_code}"
    if not errors:
        return "ok"
    return str(errors[0].get("extensions", {}).get("code"))


def attack(url: str, body_file: str, seconds: str, token: str = "", connections: str = "1") -> None:
    body = Path(body_file).read_bytes()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    codes: list[str] = []
    with httpx.Client(timeout=120) as client:
        codes.append(code_of(client.post(f"{url}/graphql", content=body, headers=headers)))
    print("started", flush=True)
    deadline = time.monotonic() + float(seconds)

    def keep_sending() -> None:
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < deadline:
                answer = client.post(f"{url}/graphql", content=body, headers=headers)
                codes.append(code_of(answer))  # list.append is atomic

    senders = [threading.Thread(target=keep_sending) for _ in range(int(connections))]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    print(json.dumps(codes), flush=True)


def probe(url: str, token: str, seconds: str, source_address: str = "") -> None:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.HTTPTransport(local_address=source_address or None)
    with httpx.Client(timeout=60, transport=transport) as client:
        deadline = time.monotonic() + float(seconds)
        while time.monotonic() < deadline:
            begin = time.perf_counter()
            health = client.get(f"{url}/healthz")
            latencies.append(time.perf_counter() - begin)
            if health.status_code != 200:
                raise SystemExit(f"/healthz answered {health.status_code}")
            begin = time.perf_counter()
            answer = client.post(f"{url}/graphql", json=TYPENAME, headers=headers)
            latencies.append(time.perf_counter() - begin)
            if answer.json() != {"data": {"__typename": "Query"}}:
                raise SystemExit(f"{{ __typename }} answered {answer.text[:200]}")
            time.sleep(0.02)
    print(json.dumps(latencies), flush=True)


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    {"attack": attack, "probe": probe}[mode](*arguments)
