"""The roster import pages: the list of import runs (``Query.rosterImports``, newest first) and
one run's page with its report: the counts per kind of change, the conflicts and the files'
digests. A dry run leaves no record, so every run listed is a real one; only a completed run
wrote its changes (a refused or failed one changed nothing)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from gateway.console.paging import cursor_variables, page_links
from gateway.console.web import Visit

PAGE_SIZE = 50

IMPORTS = """
query ConsoleRosterImports($first: Int, $after: String, $last: Int, $before: String) {
  viewer { displayName }
  rosterImports(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node {
      id startedAt finishedAt status source mode actor
      counts { kind count }
      conflicts
    } }
  }
}
"""

IMPORT = """
query ConsoleRosterImport($id: ID!) {
  viewer { displayName }
  node(id: $id) {
    ... on RosterImport {
      id startedAt finishedAt status source mode actor
      counts { kind count }
      conflicts
      fileDigests { file sha256 }
    }
  }
}
"""


def _run(node: dict[str, Any]) -> dict[str, Any]:
    counts = node.get("counts") or []
    return {
        **node,
        "written": node.get("status") == "COMPLETED",
        "changes": sum(c["count"] for c in counts),
        "conflict_count": len(node.get("conflicts") or []),
    }


async def roster_imports(visit: Visit) -> Response:
    """The import runs, newest first, a page at a time."""
    params = visit.request.query_params
    variables = cursor_variables(params, PAGE_SIZE)
    answer = await visit.query(IMPORTS, variables)
    data = answer.data or {}
    found = data.get("rosterImports")
    if found is None:
        code, message = answer.first_error() or ("INTERNAL_SERVER_ERROR", "")
        return visit.render(
            "error.html",
            status_code=400 if code == "BAD_USER_INPUT" else 500,
            code=code,
            message=message,
        )
    visit.display_name = (data.get("viewer") or {}).get("displayName") or ""
    previous_link, next_link = page_links(
        found["pageInfo"], params, lambda **cursor: "/admin/imports?" + urlencode(cursor)
    )
    return visit.render(
        "imports.html",
        runs=[_run(edge["node"]) for edge in found["edges"]],
        total=found["totalCount"],
        next_link=next_link,
        previous_link=previous_link,
    )


async def roster_import(visit: Visit) -> Response:
    """One import run and its report."""
    run_id = visit.request.path_params["run_id"]
    answer = await visit.query(
        IMPORT,
        {"id": run_id},
    )
    data = answer.data or {}
    node = data.get("node")
    if not node or "status" not in node:
        found = answer.first_error()
        if found is not None and found[0] not in ("NOT_FOUND", "BAD_USER_INPUT"):
            return visit.render("error.html", status_code=500, code=found[0], message=found[1])
        return visit.render(
            "error.html", status_code=404, code="NOT_FOUND", message_key="imports.not_found"
        )
    visit.display_name = (data.get("viewer") or {}).get("displayName") or ""
    return visit.render("import.html", run=_run(node))
