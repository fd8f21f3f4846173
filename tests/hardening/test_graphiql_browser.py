"""GraphiQL works offline: the page and every file it loads come from the gateway
(docs/interfaces.md, "GraphiQL").

The browser test runs Debian's Chromium (``/usr/bin/chromium``, never a downloaded browser)
headless under Playwright against a real gateway in development mode (uvicorn on a loopback
port, SQLite, the demo school). Every request the page makes to anywhere but the gateway's own
origin is aborted and recorded; the page must load, take a query and a development token in its
Headers tab, run the query and show the answer, with no request blocked and no content security
policy violation. Without the browser the test is skipped, except under ``CI=true``, where it
fails (``.ci/run`` installs Chromium).

The asset route is checked over plain HTTP too: media types, a year's immutable caching, 404 for
names it does not serve, and no route at all with GraphiQL off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import record_problems, system_chromium
from gateway_support import LiveGateway, own_gateway

from gateway.graphiql import ASSETS_PREFIX, CACHE_CONTROL, FOLDER

QUERY = "{ viewer { displayName } }"
USER = "larer.hansen"


@pytest.fixture(scope="module")
def development(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway("sqlite", tmp_path_factory, "graphiql") as live:
        yield live


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    with own_gateway("sqlite", tmp_path_factory, "graphiql-off", graphiql=False) as live:
        yield live


def page_assets(live: LiveGateway) -> list[str]:
    """The asset URLs the page names, absolute."""
    html = live.client.get(f"{live.url}/graphql", headers={"Accept": "text/html"}).text
    names = [name for name in sorted(p.name for p in FOLDER.iterdir()) if f'/{name}"' in html]
    return [f"{live.url}{ASSETS_PREFIX}/{name}" for name in names]


def test_the_page_names_only_files_the_gateway_serves(development: LiveGateway) -> None:
    html = development.client.get(
        f"{development.url}/graphql", headers={"Accept": "text/html"}
    ).text
    assert "https://" not in html and "http://" not in html.replace(
        "http://www.w3.org/2000/svg", ""
    ), "no file from the internet"
    urls = page_assets(development)
    assert {url.rsplit(".", 1)[1] for url in urls} == {"js", "css"}
    assert len(urls) == 6  # react, react-dom, graphiql (script, styles), explorer (script, styles)


def test_assets_are_served_with_their_types_and_cached(development: LiveGateway) -> None:
    for url in page_assets(development):
        response = development.client.get(url)
        assert response.status_code == 200, url
        expected = "text/javascript" if url.endswith(".js") else "text/css"
        assert response.headers["content-type"].split(";")[0] == expected, url
        assert response.headers["cache-control"] == CACHE_CONTROL, url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.content == (FOLDER / url.rsplit("/", 1)[1]).read_bytes(), url


@pytest.mark.parametrize("name", ["SOURCE.md", "graphiql.html", "LICENSES.txt", "nothing.js"])
def test_other_names_under_the_prefix_are_not_found(development: LiveGateway, name: str) -> None:
    response = development.client.get(f"{development.url}{ASSETS_PREFIX}/{name}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_without_graphiql_there_are_no_assets(production: LiveGateway) -> None:
    response = production.client.get(f"{production.url}{ASSETS_PREFIX}/graphiql-3.8.3.min.js")
    assert response.status_code == 404


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Chromium from the system, under Playwright."""
    with system_chromium() as browser:
        yield browser


def set_editor(page: Any, selector: str, text: str) -> None:
    """Puts ``text`` into the CodeMirror editor at ``selector`` as if typed (change events)."""
    page.wait_for_selector(selector, state="visible")
    page.eval_on_selector(selector, "(element, text) => element.CodeMirror.setValue(text)", text)


def test_graphiql_runs_a_query_offline(development: LiveGateway, chromium: Any) -> None:
    expected = development.gql(QUERY, as_user=USER).data["viewer"]["displayName"]
    assert expected
    origin = development.url
    blocked: list[str] = []
    served: list[str] = []
    problems: list[str] = []

    context = chromium.new_context()
    try:

        def only_the_gateway(route: Any) -> None:
            url = route.request.url
            if url == origin or url.startswith(origin + "/"):
                served.append(url)
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        context.route("**/*", only_the_gateway)
        page = context.new_page()
        record_problems(page, problems)

        page.goto(f"{origin}/graphql")
        set_editor(page, ".graphiql-query-editor .CodeMirror", QUERY)
        page.get_by_role("button", name="Headers", exact=True).click()
        set_editor(
            page,
            ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror",
            json.dumps({"Authorization": f"Bearer {development.token(USER)}"}),
        )
        page.click(".graphiql-execute-button")
        result = page.locator(".result-window")
        result.get_by_text(f'"displayName": "{expected}"').wait_for(timeout=30_000)
        shown = result.inner_text()
    finally:
        context.close()

    assert blocked == [], f"the page asked for files off the gateway: {blocked}"
    assert problems == [], f"errors in the page (a CSP violation shows here): {problems}"
    assert set(page_assets(development)) <= set(served), "every file came from the gateway"
    assert '"data"' in shown and '"errors"' not in shown, shown
