"""The dashboard's URLs in headless Chromium: ?run=ID opens the run page, opening a model puts it in
the URL, loading that URL opens it, and the lineage graph's nodes open their models."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.browser_support import browser_page, require_chromium, screenshot
from tests.server.conftest import Live

PROJECT = {
    "models/base.sql": """
        -- @model(materialize="table", quality_checks=[{"range": {"column": "n", "max": 1, "severity": "warn"}}])
        SELECT range AS n, range * 1.1 AS x FROM range(4)
    """,
    "models/middle.py": """
        from interlace import model


        @model(materialize="table")
        def middle(base):
            return base.mutate(y=base.x * 2)
    """,
    "models/broken.sql": """
        -- @model(materialize="table")
        SELECT missing_column FROM base
    """,
}


@pytest.mark.slow
def test_run_url_model_url_and_graph_links(live_factory: Callable[..., Live]) -> None:
    require_chromium()
    live = live_factory(PROJECT, dashboard=True)
    with live.client("run") as c:
        run_id = c.post("/api/v1/runs", json={}).json()["run_id"]
    assert live.wait_for_run(run_id)["status"] == "failed"
    with browser_page() as page:
        page.goto(f"{live.url}/dashboard?run={run_id}")
        page.fill("#key", live.keys["read"])
        page.click("#sign-in")
        page.wait_for_selector(f"#il-run-page[data-run='{run_id}']")  # the shared link opens the run
        assert page.url == f"{live.url}/dashboard?run={run_id}"
        rows = page.locator("#il-run-models tbody tr")
        assert rows.count() == 3
        broken = page.locator("#il-run-models tbody tr", has_text="broken")
        assert "failed" in broken.text_content() and "missing_column" in broken.text_content()
        assert "1 failed" in page.text_content("#il-run-page")
        assert "2 failing rows" in page.text_content("#il-run-page .il-check[data-model=base]")
        screenshot(page, "dashboard-run-page")

        page.locator(".bk-tab", has_text="Models").click()
        page.locator("select").nth(2).select_option("middle")  # search, tag, schema, then "Open model"
        page.wait_for_selector("#il-model-page[data-model=middle]")
        page.wait_for_url(f"{live.url}/dashboard?model=middle")  # opening a model changed the URL
        assert "@model(materialize=\"table\")" in page.text_content("#il-definition")

        page.goto(f"{live.url}/dashboard?model=middle")  # the URL, loaded again, opens the model
        page.wait_for_selector("#il-model-page[data-model=middle]")
        screenshot(page, "dashboard-model-graph")
        page.locator("#il-lineage-graph a[data-model=base]").click()  # a graph node opens its model
        page.wait_for_selector("#il-model-page[data-model=base]")
        assert page.url == f"{live.url}/dashboard?model=base"

        page.locator(".bk-tab", has_text="Quality").click()
        sample = page.locator("#il-quality .il-check[data-model=base] tbody tr")
        assert sample.count() == 2  # n = 2 and n = 3 are over the max
        assert [sample.nth(i).locator("td").nth(1).text_content() for i in range(2)] == ["2.2", "3.3"]
