"""Imports only go down the layers (README, "Layout").

``gateway → schema → resolvers → authz → store → config``, and ``roster → store → config`` beside
them (only the gateway imports the roster import). Every module of these packages is parsed with
``ast`` and every import in it is checked: at module level, inside functions (an import made late
to dodge a cycle is still an upward import) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: what each package may import from the project (itself included)
ALLOWED: dict[str, frozenset[str]] = {
    "config": frozenset({"config"}),
    "store": frozenset({"store", "config"}),
    "authz": frozenset({"authz", "store", "config"}),
    "resolvers": frozenset({"resolvers", "authz", "store", "config"}),
    "schema": frozenset({"schema", "resolvers", "authz", "store", "config"}),
    "roster": frozenset({"roster", "store", "config"}),
    "gateway": frozenset({"gateway", "schema", "resolvers", "authz", "store", "config", "roster"}),
}
PACKAGES = frozenset(ALLOWED)


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _imported(path: Path, root: Path = REPO) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in the file, relative ones resolved."""
    parts = path.relative_to(root).with_suffix("").parts
    package = parts[:-1]  # a module's package; an ``__init__``'s is its own folder
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def upward_imports() -> list[str]:
    violations: list[str] = []
    for package, allowed in ALLOWED.items():
        for path in _modules(package):
            for line, module in _imported(path):
                top = module.split(".", 1)[0]
                if top in PACKAGES and top not in allowed:
                    where = path.relative_to(REPO)
                    violations.append(f"{where}:{line} imports {module} ({package} → {top})")
    return violations


def test_the_checker_finds_imports_everywhere_in_a_module(tmp_path: Path) -> None:
    """Module level, inside a function, under TYPE_CHECKING, and relative imports."""
    module = tmp_path / "config" / "limits" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "import store.tables\n"
        "if TYPE_CHECKING:\n"
        "    from gateway.state import AppState\n"
        "def late():\n"
        "    from resolvers import roots\n"
        "from . import sizes\n"
        "from .. import settings\n"
    )
    found = {name for _line, name in _imported(module, tmp_path)}
    assert found == {
        "typing",
        "store.tables",
        "gateway.state",
        "resolvers",
        "config.limits",
        "config",
    }


def test_imports_only_go_down_the_layers() -> None:
    violations = upward_imports()
    assert violations == [], "upward imports:\n" + "\n".join(violations)
