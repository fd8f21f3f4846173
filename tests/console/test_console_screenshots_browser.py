"""The documentation's screenshots are taken by the routine bench/console_screenshots.py runs
(tests/console/screenshots.py), here in headless Chromium on both backends (the browser fixture
of test_console_browser.py): every page it photographs is reached by its labelled controls, and
every picture is a PNG of the viewport's size, without an error in any page."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from screenshots import NAMES, VIEWPORT, photograph
from test_console_browser import chromium  # noqa: F401 (a fixture)


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "console-screenshots") as gateway:
        yield gateway


def _size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_the_documentations_screenshots_are_taken(
    live: LiveGateway,
    chromium: Any,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    taken = photograph(chromium, live, tmp_path)
    assert [path.stem for path in taken] == list(NAMES)
    for path in taken:
        assert _size(path) == (VIEWPORT["width"], VIEWPORT["height"]), path.name
        assert path.stat().st_size < 400_000, f"{path.name} stays small"
