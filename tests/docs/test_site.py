"""`interlace docs build` on the shop: the pages, what they show, the search index, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.docs.conftest import soup


def test_the_build_reports_its_pages(shop_site: Path) -> None:
    site = shop_site / "site"
    assert (site / ".interlace-docs").is_file()
    assert sorted(p.stem for p in (site / "models").glob("*.html")) == [
        "customer_segments", "customers", "daily_revenue", "orders", "payments_by_method",
        "stg_customers", "stg_orders", "stg_payments"]
    assert sorted(p.name for p in (site / "notebooks").glob("*.html")) == ["notebooks--broken.html", "notebooks--explore.html"]


def test_index_shows_the_project_counts_last_run_and_failing_checks(shop_site: Path) -> None:
    page = soup(shop_site / "site" / "index.html")
    assert page.select_one("#il-project").text == "shop"
    counts = [" ".join(d.text.split()) for d in page.select(".il-counts div")]
    assert counts == ["8 models", "2 notebooks", "1 failing checks"]
    assert "success" in page.select_one("#last-run .il-badge").text
    [failing] = page.select("#failing tbody tr")
    assert [td.text for td in failing.select("td")][:5] == ["stg_orders", "accepted_values(status)", "warn", "fail", "45"]
    assert {a.text for a in page.select("#models a")} >= {"customers", "orders"}


def test_a_model_page_shows_columns_lineage_quality_schema_runs_and_sql(shop_site: Path) -> None:
    page = soup(shop_site / "site" / "models" / "customers.html")
    assert page.select_one("#il-model")["data-model"] == "customers"
    assert "One row per customer with order history" in page.select_one(".il-description").text
    assert page.select_one("#il-origin").text == "models/marts/customers.sql:1"
    row = page.select_one("#col-customer_id")
    cells = [td.text.strip() for td in row.select("td")]
    assert cells[:2] == ["customer_id", "BIGINT"]
    assert cells[2].startswith("The customer's id, as the shop's CRM assigns it.")
    assert row.select_one(".il-inherited a")["href"] == "stg_customers.html#col-customer_id"
    assert [a["href"] for a in row.select(".il-lineage-up a")] == ["stg_customers.html#col-customer_id"]
    ltv = page.select_one("#col-customer_lifetime_value")
    assert [a.text for a in ltv.select(".il-lineage-up a")] == ["orders.amount"]
    nodes = {a["data-model"] for a in page.select("svg.il-graph a.il-node")}
    assert nodes == {"customers", "orders", "stg_customers", "stg_orders", "stg_payments", "daily_revenue",
                     "customer_segments"}
    assert page.select_one("svg.il-graph a.il-node-center")["data-model"] == "customers"
    checks = {tr.select("td")[0].text: tr.select("td")[2].text.strip() for tr in page.select("#quality tbody tr")}
    assert checks["unique(customer_id)"] == "pass"
    assert "created with 7 columns" in page.select_one("#schema tbody").text
    assert page.select_one("#runs tbody .il-badge").text == "success"
    assert page.select_one("#definition pre.il-code").text.startswith("WITH customer_orders AS (")


def test_a_python_model_shows_its_source_with_the_decorator(shop_site: Path) -> None:
    page = soup(shop_site / "site" / "models" / "orders.html")
    source = page.select_one("#definition pre.il-code").text
    assert source.startswith("@model(\n    materialize=\"table\",")
    assert "def orders(stg_orders, stg_payments):" in source
    assert page.select_one("#il-origin").text.startswith("models/marts/orders.py:")


def test_a_model_without_descriptions_is_marked(shop_site: Path) -> None:
    page = soup(shop_site / "site" / "models" / "payments_by_method.html")
    assert page.select_one("#il-undocumented").text.startswith(
        "Undocumented: no description and no column descriptions.")
    assert soup(shop_site / "site" / "models" / "stg_customers.html").select_one("#il-undocumented") is None


def test_a_notebook_page_shows_stored_outputs_and_a_broken_one_says_why(shop_site: Path) -> None:
    page = soup(shop_site / "site" / "notebooks" / "notebooks--explore.html")
    dag = page.select_one(".il-notebook .interlace-dag-fallback")
    assert dag is not None and "8 models" in dag.text
    assert "customers" in {td.text for td in dag.select("td")}
    assert not [s for s in page.select("script[src]") if s["src"].startswith("http")]  # no CDN
    broken = soup(shop_site / "site" / "notebooks" / "notebooks--broken.html")
    message = broken.select_one("#il-notebook-error").text
    assert "This notebook could not be rendered." in message and "NotJSONError" in message


def test_the_search_index_is_sharded_by_two_letter_prefix(shop_site: Path) -> None:
    search = shop_site / "site" / "search"
    shard = search / "cr.js"
    text = shard.read_text()
    payload = json.loads(re.fullmatch(r'interlaceSearch\.shard\("cr", (.*)\);\n', text, re.S).group(1))
    crm = payload["terms"]["crm"]
    assert set(payload) == {"terms"}  # ids only: what a result shows is in the document shards
    docs_text = (search / "docs-0.js").read_text()
    docs = json.loads(re.fullmatch(r"interlaceSearch\.docs\(0, (.*)\);\n", docs_text, re.S).group(1))
    assert [docs[str(i)][:2] for i in crm] == [["stg_customers", "customer_id"], ["customers", "customer_id"]]
    assert set(payload["terms"]) == {t for t in payload["terms"] if t.startswith("cr")}
    assert "crm" not in (search / "cu.js").read_text()  # each term lives in its own prefix's shard only
    known = json.loads(re.fullmatch(r"interlaceSearch\.known\((.*), 500\);\n",
                                    (search / "shards.js").read_text()).group(1))
    assert {"cr", "cu"} <= set(known) and all(len(k) == 2 for k in known)
    assert all((search / f"{k}.js").is_file() for k in known)


def test_a_big_shard_is_split_by_one_more_character() -> None:
    from interlace.docs.search import split_shards

    postings = ({f"l{n:02d}_m{n:04d}": [n] for n in range(20)} | {"l0": [0, 1, 2, 3], "lz": [99]}
                | {f"l20_{n}": [100 + n] for n in range(4)})
    shards = split_shards(postings, limit=5)
    assert set(shards["lz"]) == {"lz"}  # small: stays at two characters
    assert set(shards["l2"]) == {f"l20_{n}" for n in range(4)}  # four docs: not split
    assert set(shards["l0"]) == {"l0"}  # ten docs under "l0": split; a term as long as its key stays
    assert set(shards["l00"]) == {"l00_m0000"} and set(shards["l19"]) == {"l19_m0019"}
    assert sorted(t for group in shards.values() for t in group) == sorted(postings)  # every term kept once
    assert all(t.startswith(k) for k, group in shards.items() for t in group)


def test_every_asset_is_local(shop_site: Path) -> None:
    for path in (shop_site / "site").rglob("*.html"):
        page = soup(path)
        refs = [t.get("src") or t.get("href") for t in page.select("script[src], link[href]")]
        assert not [r for r in refs if r and re.match(r"^(https?:)?//", r)], path


def test_a_selector_limits_the_model_pages(shop_site: Path, tmp_path: Path) -> None:
    done = run_cli("docs", "build", "--project-dir", str(shop_site), "--out", str(tmp_path / "part"),
                   "+customers", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["models"] == 5
    assert sorted(p.stem for p in (tmp_path / "part" / "models").glob("*.html")) == [
        "customers", "orders", "stg_customers", "stg_orders", "stg_payments"]
    link = soup(tmp_path / "part" / "models" / "customers.html").select_one("svg.il-graph a[data-model=daily_revenue]")
    assert link["href"] == "#"  # no page for it in this site


def test_refuses_a_foreign_non_empty_directory_unless_forced(shop_site: Path, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    done = run_cli("docs", "build", "--project-dir", str(shop_site), "--out", str(target), "stg_orders")
    assert done.returncode == 2
    assert " ".join(done.stderr.split()) == (
        f"Error: the docs output directory {target} is not empty and was not made by `interlace docs build` "
        "(it has no .interlace-docs file); building would delete what is in it "
        "Fix: choose an empty or new --out, or pass --force to replace its contents")
    assert (target / "notes.txt").read_text() == "keep me"
    forced = run_cli("docs", "build", "--project-dir", str(shop_site), "--out", str(target), "stg_orders", "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (target / "notes.txt").exists() and (target / "models" / "stg_orders.html").is_file()
    again = run_cli("docs", "build", "--project-dir", str(shop_site), "--out", str(target), "stg_orders")
    assert again.returncode == 0, again.stderr  # ours now: rebuilt without --force


def test_refuses_a_directory_inside_the_models(shop_site: Path) -> None:
    done = run_cli("docs", "build", "--project-dir", str(shop_site), "--out", "models/site")
    assert done.returncode == 2
    out = shop_site / "models" / "site"
    assert " ".join(done.stderr.split()) == (
        f"Error: the docs output directory {out} is inside the model path 'models/' of {shop_site}: its files "
        "would be read as models Fix: choose another --out (the default is site/ in the project), or pass "
        "--force to build there anyway")
    assert not out.exists()
    forced = run_cli("docs", "build", "--project-dir", str(shop_site), "--out", "models/site", "--force")
    assert forced.returncode == 0, forced.stderr  # as the message says: --force builds there
    assert (out / "index.html").is_file()
    holds = run_cli("docs", "build", "--project-dir", str(shop_site), "--out", ".", "--force")
    assert holds.returncode == 2
    assert " ".join(holds.stderr.split()) == (
        f"Error: the docs output directory {shop_site} holds the project's directory ({shop_site}); a build "
        "replaces everything in its output directory Fix: choose a directory of its own for --out (the "
        "default is site/ in the project); --force does not override this")


def test_the_model_list_is_paged_so_the_index_stays_small(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import interlace
    from interlace.docs import site as site_module

    monkeypatch.setattr(site_module, "MODELS_PER_PAGE", 3)
    with interlace.open(shop) as ws:
        summary = site_module.build_site(ws, notebooks=False)
    out = summary.out
    first = soup(out / "index.html")
    assert len(first.select("#models tbody tr")) == 3
    assert "1–3 of 8" in first.select_one("#models h2").text
    assert [a["href"] for a in first.select("#models nav")[0].select("a")] == ["models-2.html#models",
                                                                            "models-3.html#models"]
    last = soup(out / "models-3.html")
    assert [a.text for a in last.select("#models tbody a")] == list(ws_order(shop))[6:]
    assert not (out / "models-4.html").exists()
    listed = [a.text for n in ("index.html", "models-2.html", "models-3.html")
              for a in soup(out / n).select("#models tbody a")]
    assert sorted(listed) == sorted(ws_order(shop))  # every model once, across the pages


def ws_order(root: Path) -> list[str]:
    import interlace

    with interlace.open(root) as ws:
        return list(ws.graph().order)
