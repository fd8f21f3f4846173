"""``tavle serve`` as a real process for the operations tests, and what Linux's /proc tells about
it: which of its worker processes holds a given TCP connection.

A connection is accepted by exactly one worker process: its socket shows up among that process's
open files (``/proc/<pid>/fd``), and ``/proc/net/tcp`` links the socket to the client's port.
That lets a test pick the worker that serves a request without the gateway telling anything
about itself.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
#: The command line of ``tavle`` from this checkout (the console script runs the same main()).
TAVLE = [sys.executable, "-m", "gateway.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(
    process: subprocess.Popen[bytes], url: str, output: Callable[[], str], timeout: float
) -> None:
    """Until ``url``/readyz answers 200; fails with the server's ``output`` if ``process``
    exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"tavle serve exited:\n{output()}"
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        assert time.monotonic() < deadline, f"tavle serve never got ready:\n{output()}"
        time.sleep(0.1)


@dataclass
class ServedGateway:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    #: connections found to be held by each worker process (see ``connection_to``)
    _connections: dict[int, http.client.HTTPConnection] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Until ``/readyz`` answers 200; fails with the server's output if it exits first."""
        wait_until_ready(self.process, self.url, self.output, timeout)

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"tavle serve still running {timeout} s after SIGTERM:\n{self.output()}"
            ) from None

    # --- worker processes ----------------------------------------------------------------------

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (multiprocessing children) of the server."""
        return sorted(
            pid
            for pid in children(self.process.pid)
            if b"spawn_main" in command_line(pid) and not is_zombie(pid)
        )

    def connection_to(self, worker: int, attempts: int = 300) -> http.client.HTTPConnection:
        """A keep-alive connection that the process ``worker`` accepted.

        Opens connections until one lands on that worker (the kernel hands each to whichever
        worker accepts first), keeping the others open meanwhile: a worker busy with closing
        connections would otherwise be the one awake to accept the next.
        """
        held = self._connections.get(worker)
        if held is not None and held.sock is not None:
            return held
        others: list[http.client.HTTPConnection] = []
        try:
            for _ in range(attempts):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                connection.connect()
                assert connection.sock is not None
                owner = accepting_process(
                    self.port, connection.sock.getsockname()[1], self.worker_pids()
                )
                if owner == worker:
                    self._connections[worker] = connection
                    return connection
                others.append(connection)
        finally:
            for other in others:
                other.close()
        raise AssertionError(f"no connection landed on worker {worker} in {attempts} attempts")

    def post(self, worker: int, query: str, token: str | None = None) -> dict[str, Any]:
        """POST a GraphQL query on a connection held by ``worker``; the JSON body."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps({"query": query})
        for retry in (False, True):
            connection = self.connection_to(worker)
            try:
                connection.request("POST", "/graphql", body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                # The worker closed an idle keep-alive connection: find another one.
                connection.close()
                self._connections.pop(worker, None)
                if retry:
                    raise
                continue
            # The connection is still held by the same process: the answer came from it.
            assert response.status == 200, payload
            result: dict[str, Any] = json.loads(payload)
            return result
        raise AssertionError("unreachable")

    def close_connections(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()


@contextmanager
def tavle_serve(
    arguments: Sequence[str], folder: Path, environment: dict[str, str]
) -> Iterator[ServedGateway]:
    """Run ``tavle serve ARGUMENTS --port <free>`` in ``folder``; kill it if the test did not
    stop it. Its output goes to ``folder/serve.log``."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*TAVLE, "serve", *arguments, "--port", str(port)],
            cwd=folder,
            env={**os.environ, "PYTHONPATH": str(REPO), **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = ServedGateway(process, port, log)
    try:
        yield served
    finally:
        served.close_connections()
        if process.poll() is None:
            workers = served.worker_pids()
            process.kill()
            process.wait(timeout=30)
            for pid in workers:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


# --- /proc ---------------------------------------------------------------------------------------


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text()
            # "pid (command) state ppid ...": the command may contain spaces and parentheses.
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2 :].split()[0] == "Z"


def process_exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not is_zombie(pid)


def _server_socket_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server side of the established connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                local_port = int(parts[1].rsplit(":", 1)[1], 16)
                remote_port = int(parts[2].rsplit(":", 1)[1], 16)
                if (local_port, remote_port, parts[3]) == (server_port, client_port, "01"):
                    return int(parts[9])
    return None


def accepting_process(
    server_port: int, client_port: int, candidates: Iterable[int], timeout: float = 10.0
) -> int:
    """Which of the ``candidates`` processes holds the server side of the connection from
    ``client_port``.

    Until a worker accepts it, the connection sits in the listening socket's queue, where no
    process holds it yet: wait for that (``timeout``).
    """
    pids = list(candidates)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inode = _server_socket_inode(server_port, client_port)
        if inode is not None:
            target = f"socket:[{inode}]"
            for pid in pids:
                with suppress(OSError):
                    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                        with suppress(OSError):
                            if os.readlink(descriptor) == target:
                                return pid
        time.sleep(0.01)
    raise AssertionError(f"none of {pids} accepted the connection from port {client_port}")
