"""The built site in headless Chromium, opened from file:// (no server): the index, a model page
with its lineage, the search, and a notebook page with a DagWidget's static rendering.
Screenshots go to test-artifacts/ (docs-*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import browser_page, require_chromium, screenshot


def watch(page: object, site: Path) -> list[str]:
    """Page errors and any request that leaves the site's folder (a CDN, the network)."""
    problems: list[str] = []
    prefix = site.as_uri()
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))  # type: ignore[attr-defined]
    page.on("request", lambda r: problems.append(r.url)  # type: ignore[attr-defined]
            if not r.url.startswith(prefix) else None)
    return problems


@pytest.mark.slow
def test_index_model_page_and_lineage_from_file(shop_site: Path) -> None:
    require_chromium()
    site = shop_site / "site"
    with browser_page() as page:
        problems = watch(page, site)
        page.goto((site / "index.html").as_uri())
        assert page.text_content("#il-project") == "shop"
        screenshot(page, "docs-index")
        page.click("#models a:text-is('customers')")
        page.wait_for_selector("#il-model[data-model=customers]")
        assert page.url.endswith("/models/customers.html")
        assert page.is_visible("svg.il-graph a.il-node-center[data-model=customers]")
        up = page.locator("#col-customer_id .il-lineage-up a")
        assert up.text_content() == "stg_customers.customer_id"
        screenshot(page, "docs-model-customers")
        up.click()  # follow the column's lineage upstream
        page.wait_for_selector("#il-model[data-model=stg_customers]")
        assert page.url.endswith("/models/stg_customers.html#col-customer_id")
        page.click("svg.il-graph a[data-model=orders]")  # the neighbourhood graph links too
        page.wait_for_selector("#il-model[data-model=orders]")
        assert page.locator("#definition pre.il-code").text_content().startswith("@model(")
    assert problems == []


@pytest.mark.slow
def test_search_finds_a_column_by_its_description(shop_site: Path) -> None:
    require_chromium()
    site = shop_site / "site"
    with browser_page() as page:
        problems = watch(page, site)
        loaded: list[str] = []
        page.on("request", lambda r: loaded.append(r.url.rsplit("/", 2)[-2] + "/" + r.url.rsplit("/", 1)[-1]))
        page.goto((site / "models" / "daily_revenue.html").as_uri())
        page.fill("#il-search", "crm assigns")
        page.wait_for_selector("#il-results li.il-result")
        results = [(li.get_attribute("data-model"), li.get_attribute("data-column"))
                   for li in page.query_selector_all("#il-results li.il-result")]
        assert results == [("customers", "customer_id"), ("stg_customers", "customer_id")]
        shards = sorted(u for u in loaded if u.startswith("search/"))
        # only the words' prefixes, and the one document shard of the results
        assert shards == ["search/as.js", "search/cr.js", "search/docs-0.js", "search/shards.js"]
        screenshot(page, "docs-search")
        page.click("#il-results li[data-model=stg_customers] a")
        page.wait_for_selector("#il-model[data-model=stg_customers]")
        assert page.url.endswith("/models/stg_customers.html#col-customer_id")
        page.fill("#il-search", "zebra")
        page.wait_for_selector("#il-results li.il-none")
        assert page.text_content("#il-results") == "Nothing matches “zebra”"
    assert problems == []


@pytest.mark.slow
def test_a_notebook_page_shows_the_dag_widgets_static_rendering(shop_site: Path) -> None:
    require_chromium()
    site = shop_site / "site"
    with browser_page() as page:
        problems = watch(page, site)
        page.goto((site / "index.html").as_uri())
        page.click("#notebooks >> text=Exploring the shop")
        page.wait_for_selector(".il-notebook .interlace-dag-fallback")
        dag = page.locator(".il-notebook .interlace-dag-fallback")
        assert dag.is_visible() and "8 models" in dag.text_content()
        assert "customers" in dag.locator("td").all_text_contents()
        screenshot(page, "docs-notebook")
        page.goto((site / "index.html").as_uri())
        page.click("#notebooks >> text=broken")
        assert "This notebook could not be rendered." in page.text_content("#il-notebook-error")
    assert problems == []


@pytest.mark.slow
def test_results_come_from_several_document_shards(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import interlace
    from interlace.docs import search

    require_chromium()
    monkeypatch.setattr(search, "DOCS_PER_SHARD", 4)  # the shop's ~60 documents in many shards
    with interlace.open(shop) as ws:
        ws.run()
        site = interlace.docs.build_site(ws, notebooks=False).out
    assert len(list((site / "search").glob("docs-*.js"))) > 5
    with browser_page() as page:
        problems = watch(page, site)
        loaded: list[str] = []
        page.on("request", lambda r: loaded.append(r.url.rsplit("/", 1)[-1]))
        page.goto((site / "index.html").as_uri())
        page.fill("#il-search", "crm assigns")
        page.wait_for_selector("#il-results li.il-result")
        results = [(li.get_attribute("data-model"), li.get_attribute("data-column"))
                   for li in page.query_selector_all("#il-results li.il-result")]
        assert results == [("customers", "customer_id"), ("stg_customers", "customer_id")]
        docs = sorted(u for u in loaded if u.startswith("docs-"))
        assert 1 <= len(docs) <= 2  # only the shards of the two results
        assert problems == []
