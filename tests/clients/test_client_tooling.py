"""The frontend operations in ``clients/operations`` pass the client tooling a Tavle app uses:
relay-compiler and GraphQL Code Generator (typescript, typescript-operations), both against
``schema.graphql``, and TypeScript over what they generate (docs/interfaces.md).

The operations are those of the main screens of each role (courses, a course page with posts
and assignments, the gradebook, a guardian's overview of a child's assessments, the inbox,
notifications, the privacy queue and the audit log), written with fragments as Relay apps write
them. The npm packages are pinned in ``clients/package-lock.json``; ``npm ci`` installs them when
``clients/node_modules`` is missing or older than the lock file. Without node and npm the tests
are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gateway_support import own_gateway
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "clients"
OPERATIONS = sorted((CLIENTS / "operations").glob("*.graphql"))


def npm() -> str:
    """The npm command; skipped (outside CI) or failed (CI) when node or npm is missing."""
    found = shutil.which("npm")
    if found is None or shutil.which("node") is None:
        reason = "node and npm are needed for the client tooling check"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return found


def run_npm(*args: str) -> str:
    completed = subprocess.run(
        [npm(), *args],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"npm {' '.join(args)} failed:\n{output}"
    return output


@pytest.fixture(scope="module")
def installed() -> None:
    """``npm ci`` when the installed packages are missing or older than the lock file."""
    marker = CLIENTS / "node_modules" / ".package-lock.json"
    lock = CLIENTS / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        run_npm("ci", "--no-audit", "--no-fund")


def test_there_are_operations_for_every_main_screen() -> None:
    assert {path.stem for path in OPERATIONS} >= {
        "TeacherCoursesScreen",
        "CoursePageScreen",
        "GradebookScreen",
        "GuardianChildrenScreen",
        "StudentHomeScreen",
        "InboxScreen",
        "NotificationsScreen",
        "PrivacyQueueScreen",
        "AuditLogScreen",
    }


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda path: path.name)
def test_names_follow_relay_rules(path: Path) -> None:
    """Relay names a module after its file: operations ``<Module>...Query`` (or Mutation),
    fragments ``<Module>_<name>``; unique names also suit GraphQL Code Generator."""
    module = path.stem
    document = parse(path.read_text(encoding="utf-8"))
    for definition in document.definitions:
        assert isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
        assert definition.name is not None, f"{path.name}: an anonymous operation"
        name = definition.name.value
        if isinstance(definition, FragmentDefinitionNode):
            assert re.fullmatch(rf"{module}_[a-z][A-Za-z0-9]*", name), name
        else:
            suffix = definition.operation.value.capitalize()
            assert re.fullmatch(rf"{module}[A-Za-z0-9]*{suffix}", name), name


def test_relay_compiler_compiles_the_operations(installed: None) -> None:
    output = run_npm("run", "relay")
    assert "Compilation completed" in output, output


def test_codegen_generates_types_that_typecheck(installed: None) -> None:
    run_npm("run", "codegen")
    generated = (CLIENTS / "build" / "codegen" / "operations.ts").read_text(encoding="utf-8")
    assert "export type GradebookScreenQuery = " in generated
    run_npm("run", "relay")  # the TypeScript check covers relay's sources as well
    run_npm("run", "typecheck")


def test_relays_manifest_of_the_screens_feeds_the_safelist(
    installed: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The safelist as production runs it: relay-compiler writes the persisted-query manifest of
    the screens' operations (``npm run persisted``), a gateway in safelist mode starts with it
    (every operation in it parses), and the screens' queries run by their ids, by POST and by
    GET, while a text that is not in the manifest is refused."""
    run_npm("run", "persisted")
    manifest = CLIENTS / "build" / "persisted-queries.json"
    listed: dict[str, str] = json.loads(manifest.read_text(encoding="utf-8"))
    by_name = {_operation_name(text): doc_id for doc_id, text in listed.items()}
    written = {
        definition.name.value
        for path in OPERATIONS
        for definition in parse(path.read_text(encoding="utf-8")).definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    }
    assert written <= set(by_name), written - set(by_name)
    with own_gateway(
        "sqlite",
        tmp_path_factory,
        "safelist-screens",
        persisted_queries="safelist",
        persisted_query_manifest=manifest,
    ) as live:
        teacher = {"Authorization": f"Bearer {live.token('larer.hansen')}"}
        courses = live.client.post(
            f"{live.url}/graphql",
            json={"doc_id": by_name["TeacherCoursesScreenQuery"], "variables": {}},
            headers=teacher,
        ).json()
        assert _codes(courses) <= {"FORBIDDEN"}, courses  # partial data, as the guide says
        assert courses["data"]["viewer"]["id"] == live.person_id("larer.hansen")
        assert courses["data"]["courses"]["totalCount"] > 0
        student = {"Authorization": f"Bearer {live.token('elev.ola')}"}
        home = live.client.get(
            f"{live.url}/graphql",
            params={"doc_id": by_name["StudentHomeScreenQuery"]},
            headers=student,
        ).json()
        assert _codes(home) <= {"FORBIDDEN"}, home
        assert home["data"]["viewer"]["id"] == live.person_id("elev.ola")
        unlisted = live.client.post(
            f"{live.url}/graphql", json={"query": "{ viewer { id } }"}, headers=student
        )
        assert unlisted.status_code == 400
        assert unlisted.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_LISTED"


def _codes(answer: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in answer.get("errors", [])}


def _operation_name(text: str) -> str:
    """The name of the one operation in a manifest's text (Relay adds the fragments it uses)."""
    (name,) = [
        definition.name.value
        for definition in parse(text).definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    ]
    return name
