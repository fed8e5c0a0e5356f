"""The docs site at /docs of a real server on 127.0.0.1: behind the same auth, rebuilt after a run."""

from __future__ import annotations

import time

import httpx

from tests.server.conftest import Live


def _wait_for(client: httpx.Client, path: str, text: str, deadline_s: float = 90) -> str:
    end = time.monotonic() + deadline_s
    while True:
        page = client.get(path)
        if page.status_code == 200 and text in page.text:
            return page.text
        assert time.monotonic() < end, f"{path} never showed {text!r}: {page.status_code} {page.text[:300]}"
        time.sleep(0.2)


def test_docs_need_a_key_or_a_login(shop_live: Live) -> None:
    with httpx.Client(base_url=shop_live.url, timeout=30) as anonymous:
        api = anonymous.get("/docs/index.html")
        assert api.status_code == 401
        assert api.json()["error"]["code"] == "UNAUTHORIZED"
        browser = anonymous.get("/docs/models/customers.html", headers={"Accept": "text/html"})
        assert browser.status_code == 303
        assert browser.headers["location"] == "/login?next=%2Fdocs%2Fmodels%2Fcustomers.html"
    with shop_live.client("read", headers={"X-API-Key": "ilk_000000000000_" + "x" * 43}) as two_keys:
        assert two_keys.get("/docs/index.html").status_code == 401


def test_docs_are_served_and_rebuilt_after_each_run(shop_live: Live) -> None:
    with shop_live.client("read") as reader:
        index = reader.get("/docs/")  # the first request builds the site and waits for it
        assert index.status_code == 200, index.text[:300]
        assert 'href="models/customers.html"' in index.text
        page = reader.get("/docs/models/customers.html")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "customers" in page.text
        assert reader.get("/docs/assets/site.css").status_code == 200
        assert reader.get("/docs/models/nowhere.html").status_code == 404
        assert "No run recorded yet" in reader.get("/docs/runs.html").text
    with shop_live.client("run") as runner:
        run_id = runner.post("/api/v1/runs", json={}).json()["run_id"]
    assert shop_live.wait_for_run(run_id)["status"] == "success"
    with shop_live.client("read") as reader:
        _wait_for(reader, "/docs/runs.html", run_id)  # the run's end rebuilt the site
    # the site lives in the project's .interlace folder, never among the models
    assert (shop_live.workspace.root / ".interlace" / "docs-site" / "index.html").is_file()
