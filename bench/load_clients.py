"""A load-generator process: many simulated clients (or the attacker) on one event loop.

``bench/load.py`` starts one or more of these processes (``multiprocessing``, spawn). Each one
discovers its clients' context (untimed), reports ready, waits for the common start time, runs
until the end time and sends back its samples, its errors, its own CPU time and how late its
event loop ran timers (a busy load generator inflates latencies; the report shows both).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

import httpx
from attack_documents import Attack, all_attacks, classify, select
from load_workload import Client, ClientSpec, Outcomes, RequestFailedError, Shared

#: (operation, role, start, duration, ok)
SampleRow = tuple[str, str, float, float, bool]


@dataclass(frozen=True)
class AttackerSpec:
    """The one hostile client of an ``--attack`` run."""

    username: str
    token: str
    source_address: str | None
    levels: int
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkerSpec:
    index: int
    base_url: str
    clients: tuple[ClientSpec, ...]
    assignments: dict[str, str]
    think: float
    timeout: float
    attacker: AttackerSpec | None = None
    #: client number n of ``total_clients`` starts ``n / total_clients * ramp_up`` s in
    ramp_up: float = 0.0
    total_clients: int = 1


@dataclass(frozen=True)
class WorkerChannels:
    """How ``bench/load.py`` and its load-generator processes talk (multiprocessing objects,
    handed to each process as it starts)."""

    #: (worker index, the problem or None) once a worker's clients have discovered their context
    ready: Queue[tuple[int, str | None]]
    #: set when every worker is ready
    go: Event
    #: set to stop the workers early
    abort: Event
    #: the common start time (wall-clock seconds): a shared double, set before ``go``
    start_at: Any
    #: each worker's result
    results: Queue[WorkerResult]


@dataclass
class AttackRecord:
    """What the attacker saw for one attack: outcomes and answer times."""

    sent: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    durations: list[float] = field(default_factory=list)


@dataclass
class WorkerResult:
    index: int
    samples: list[SampleRow] = field(default_factory=list)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: seconds since the run's start when each kind of error was first seen
    first_seen: dict[tuple[str, str], float] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    loop_lag: tuple[float, float, float] = (0.0, 0.0, 0.0)
    attacks: dict[str, AttackRecord] = field(default_factory=dict)
    fatal: str | None = None


def _transport(source_address: str | None) -> httpx.AsyncHTTPTransport:
    if source_address is None:
        return httpx.AsyncHTTPTransport(retries=0)
    return httpx.AsyncHTTPTransport(retries=0, local_address=source_address)


async def _loop_lag(stop: asyncio.Event, found: list[float], every: float = 0.05) -> None:
    """How late the event loop wakes a timer: the load generator's own saturation."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(every)
        found.append(time.perf_counter() - before - every)


def _lag_summary(found: list[float]) -> tuple[float, float, float]:
    if not found:
        return (0.0, 0.0, 0.0)
    ordered = sorted(found)
    return (
        statistics.median(ordered),
        ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        ordered[-1],
    )


async def _attack_once(
    http: httpx.AsyncClient, attack: Attack, token: str, record: AttackRecord
) -> None:
    async def stream(body: bytes) -> AsyncIterator[bytes]:
        for at in range(0, len(body), 64 * 1024):
            yield body[at : at + 64 * 1024]

    async def one() -> None:
        start = time.perf_counter()
        content: Any = attack.body
        if attack.chunked and attack.body is not None:
            content = stream(attack.body)
        try:
            response = await http.request(
                attack.method, attack.path, content=content, headers=attack.headers(token)
            )
            outcome = classify(attack, response.status_code, response.content)
            answer = f"{outcome.status} {','.join(sorted(set(outcome.codes))) or '-'}"
            kind = outcome.kind
        except httpx.HTTPError as error:
            kind, answer = "transport error", type(error).__name__
        record.sent += 1
        record.outcomes[kind] += 1
        record.answers[answer] += 1
        record.durations.append(time.perf_counter() - start)

    left = attack.repeat
    while left > 0:
        batch = min(left, attack.concurrency)
        await asyncio.gather(*(one() for _ in range(batch)))
        left -= batch


async def _attacker(
    spec: WorkerSpec, attacker: AttackerSpec, until: float, abort: Event, result: WorkerResult
) -> None:
    attacks = all_attacks(attacker.levels)
    if attacker.names:
        attacks = select(attacks, attacker.names)
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(
        base_url=spec.base_url,
        transport=_transport(attacker.source_address),
        timeout=spec.timeout,
        limits=limits,
    ) as http:
        while time.time() < until and not abort.is_set():
            for attack in attacks:
                if time.time() >= until or abort.is_set():
                    break
                record = result.attacks.setdefault(attack.name, AttackRecord())
                await _attack_once(http, attack, attacker.token, record)


async def _work(spec: WorkerSpec, channels: WorkerChannels, duration: float) -> WorkerResult:
    result = WorkerResult(spec.index)
    shared = Shared(dict(spec.assignments))
    outcomes = Outcomes()
    https = [
        httpx.AsyncClient(
            base_url=spec.base_url,
            transport=_transport(client.source_address),
            timeout=spec.timeout,
        )
        for client in spec.clients
    ]
    clients = [
        Client(client, http, shared, outcomes, spec.think)
        for client, http in zip(spec.clients, https, strict=True)
    ]
    try:
        try:
            await asyncio.gather(*(client.discover() for client in clients))
        except RequestFailedError as failure:
            result.fatal = f"discovery failed: {failure}"
            channels.ready.put((spec.index, result.fatal))
            return result
        channels.ready.put((spec.index, None))
        await asyncio.to_thread(channels.go.wait)
        started_at = float(channels.start_at.value)
        until = started_at + duration
        await asyncio.sleep(max(0.0, started_at - time.time()))
        stop = asyncio.Event()
        lags: list[float] = []
        lag_task = asyncio.create_task(_loop_lag(stop, lags))
        cpu_before, wall_before = time.process_time(), time.perf_counter()

        async def client_run(client: Client) -> None:
            delay = client.spec.number / max(1, spec.total_clients) * spec.ramp_up
            await asyncio.sleep(max(0.0, started_at + delay - time.time()))
            while time.time() < until and not channels.abort.is_set():
                await client.run(started_at, min(until, time.time() + 1.0))

        tasks = [client_run(client) for client in clients]
        if spec.attacker is not None:
            tasks.append(_attacker(spec, spec.attacker, until, channels.abort, result))
        await asyncio.gather(*tasks)
        result.cpu_seconds = time.process_time() - cpu_before
        result.wall_seconds = time.perf_counter() - wall_before
        stop.set()
        await lag_task
        result.loop_lag = _lag_summary(lags)
        for client in clients:
            result.samples.extend(
                (s.operation, s.role, s.start, s.duration, s.ok) for s in client.samples
            )
        result.errors = outcomes.errors
        result.first_seen = {key: at - started_at for key, at in outcomes.first_seen.items()}
        return result
    finally:
        for http in https:
            await http.aclose()


def worker_main(spec: WorkerSpec, channels: WorkerChannels, duration: float) -> None:
    """The process entry point (``multiprocessing.Process(target=worker_main, ...)``)."""
    try:
        result = asyncio.run(_work(spec, channels, duration))
    except Exception as error:  # the parent must hear about any failure, not wait forever
        result = WorkerResult(spec.index, fatal=f"{type(error).__name__}: {error}")
        channels.ready.put((spec.index, result.fatal))
    channels.results.put(result)
