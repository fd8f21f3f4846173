"""The wheel installs and runs outside the repository (docs/operations.md, "Installing from the
wheel").

The package is built into a wheel from a copy of the sources (``pip wheel``), installed into a
new virtual environment, and run from a folder of its own: ``tavle serve`` creates the embedded
database, loads the demo school shipped in the wheel and answers on ``/readyz``; ``tavle token``
mints a development token; a query with it is answered; SIGTERM stops the server with exit 0.
The repository's ``alembic.ini`` finds the migrations inside the installed package.

To keep the test fast and independent of the network, the new environment gets the project's
pinned dependencies from this environment (a ``.pth`` file naming a folder of links to them,
without this checkout's editable install of Tavle itself); ``pip check`` confirms that they
satisfy the wheel's requirements. The code that runs is the wheel's: the test checks where
``gateway`` is imported from.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest
from serve_support import free_port

REPO = Path(__file__).resolve().parents[2]
#: What a wheel is built from; tests, benchmarks and local state stay behind.
SOURCES = [
    "pyproject.toml",
    "README.md",
    "config",
    "gateway",
    "schema",
    "authz",
    "resolvers",
    "store",
    "roster",
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "data")


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, f"{command}:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the wheel installed; its ``bin`` folder."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=IGNORED)
        else:
            shutil.copy2(REPO / name, source / name)
    dist = root / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(dist), "-q"],
        cwd=root,
    )
    (wheel,) = dist.glob("tavle-*.whl")

    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    python = venv / "bin" / "python"
    site_packages = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=root
        ).strip()
    )
    # The dependencies, by links into this environment, leaving out Tavle's editable install.
    dependencies = root / "dependencies"
    dependencies.mkdir()
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if entry.name.startswith(("__editable__", "tavle-", "tavle.")):
            continue
        (dependencies / entry.name).symlink_to(entry)
    (site_packages / "tavle-dependencies.pth").write_text(f"{dependencies}\n", encoding="utf-8")

    run(
        [
            sys.executable, "-m", "pip", "--python", str(python),
            "install", "--no-deps", "--no-index", "-q", str(wheel),
        ],
        cwd=root,
    )  # fmt: skip
    run([sys.executable, "-m", "pip", "--python", str(python), "check"], cwd=root)
    return venv / "bin"


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without Tavle settings or a path into the checkout."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TAVLE_") and name not in ("DATABASE_URL", "PYTHONPATH")
    }
    return {**kept, **values}


def test_the_installed_package_is_the_wheels(installed: Path, tmp_path: Path) -> None:
    where = run(
        [
            str(installed / "python"),
            "-c",
            "import authz.policy, gateway, gateway.demo_data as d, store.db as s; "
            "print(gateway.__file__); print(authz.policy.DEFAULT_MODEL.is_file()); "
            "print((d.DEMO_ROSTER / 'users.csv').is_file()); print(s.MIGRATIONS_DIR.is_dir())",
        ],
        cwd=tmp_path,
        env=clean_environment(),
    ).split()
    assert Path(where[0]).is_relative_to(installed.parent), where
    assert not Path(where[0]).is_relative_to(REPO), where
    assert where[1:] == ["True", "True", "True"]


def test_tavle_serve_from_the_wheel_answers_a_query(installed: Path, tmp_path: Path) -> None:
    environment = clean_environment(TAVLE_DATA_DIR=str(tmp_path / "data"))
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(installed / "tavle"), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        ready = False
        for _ in range(1800):
            assert server.poll() is None, log.read_text()
            try:
                ready = httpx.get(f"{url}/readyz", timeout=5).status_code == 200
            except httpx.HTTPError:
                ready = False
            if ready:
                break
            time.sleep(0.1)
        assert ready, log.read_text()

        token = run(
            [str(installed / "tavle"), "token", "larer.hansen"], cwd=tmp_path, env=environment
        ).strip()
        answer = httpx.post(
            f"{url}/graphql",
            json={"query": "{ viewer { displayName courses { totalCount } } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert answer.status_code == 200
        assert answer.json() == {
            "data": {"viewer": {"displayName": "Per Hansen", "courses": {"totalCount": 2}}}
        }

        # GraphiQL (on in development mode) loads its files from the gateway, out of the wheel.
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=60)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="graphiql/assets/([^"]+)"', page.text)
        assert len(assets) == 6, page.text
        for name in assets:
            assert httpx.get(f"{url}/graphiql/assets/{name}", timeout=60).status_code == 200, name

        # The repository's alembic.ini finds the migrations in the installed package.
        current = run(
            [
                str(installed / "python"),
                "-m",
                "alembic",
                "-c",
                str(REPO / "alembic.ini"),
                "current",
            ],
            cwd=tmp_path,
            env=environment,
        )
        assert "(head)" in current

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
