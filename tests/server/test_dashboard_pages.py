"""The dashboard's run page, failing rows, lineage graph, people's numbers and real Python source,
rendered by a Dashboard over a real warehouse (no browser: the HTML its panes hold)."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup

from interlace.keys import Principal
from interlace.server.dashboard.app import Dashboard
from interlace.server.dashboard.fmt import duration, number
from interlace.server.service import Service

PROJECT = {
    "models/amounts.sql": """
        -- @model(materialize="table", quality_checks=[{"range": {"column": "amount", "min": 0, "severity": "warn"}}])
        SELECT range AS id, CASE WHEN range % 3 = 0 THEN -1.1::DOUBLE ELSE 0.1 + 0.2 END AS amount,
               1234567 AS big FROM range(40)
    """,
    "models/doubled.py": """
        from interlace import model


        @model(materialize="table", tags=["py"])
        def doubled(amounts):
            # a comment only the real source has
            return amounts.mutate(twice=amounts.amount * 2)
    """,
    "models/broken.sql": """
        -- @model(materialize="table")
        SELECT nope FROM amounts
    """,
    "models/after_doubled.sql": """
        -- @model(materialize="view")
        SELECT count(*) AS n FROM doubled
    """,
}


def _board(ws: Any) -> Dashboard:
    return Dashboard(Service(ws), Principal("t", "read", "t"), base="/dashboard")


def test_run_page_shows_each_model_with_status_time_rows_and_error(make_project, open_ws) -> None:
    ws = open_ws(make_project(PROJECT))
    result = ws.run()
    run_id = result.run_id
    board = _board(ws)
    board.refresh()
    assert run_id in board.run_view.picker.options
    assert f'href="/dashboard?run={run_id}"' in board.runs_html.object  # each run id opens its page
    board.run_view.open(run_id)
    page = BeautifulSoup(board.run_view.page.object, "html.parser")
    assert page.select_one("#il-run-page")["data-run"] == run_id
    rows = {tr.select("td")[0].get_text(): [td.get_text() for td in tr.select("td")]
            for tr in page.select("#il-run-models tbody tr")}
    assert set(rows) == {"amounts", "doubled", "broken", "after_doubled"}
    assert rows["amounts"][1] == "success" and rows["amounts"][5] == "40"
    assert re.fullmatch(r"[\d,]+ ms|[\d.,]+ s", rows["amounts"][4])
    assert rows["broken"][1] == "failed" and '"nope" not found' in rows["broken"][7]
    assert page.select_one("#il-run-models a[data-model=doubled]")["href"] == "/dashboard?model=doubled"
    checks = page.select(".il-check")
    assert [c["data-check"] for c in checks] and checks[0]["data-model"] == "amounts"
    assert "14 failing rows" in checks[0].get_text()


def test_unknown_run_says_so(make_project, open_ws) -> None:
    board = _board(open_ws(make_project(PROJECT)))
    board.run_view.open("nosuchrun")
    shown = BeautifulSoup(board.run_view.page.object, "html.parser").select_one("#il-run-missing").get_text()
    assert shown.startswith("no run with id 'nosuchrun'\nFix: ")


def test_quality_view_shows_the_failing_rows_sample(make_project, open_ws) -> None:
    ws = open_ws(make_project(PROJECT))
    ws.run()
    board = _board(ws)
    board.refresh()
    quality = BeautifulSoup(board.quality_html.object, "html.parser")
    check = quality.select_one(".il-check[data-model=amounts]")
    assert check is not None and "14 failing rows" in check.get_text()
    sample = check.select("table tbody tr")
    assert len(sample) == 10  # quality keeps ten failing rows; the page says how many more
    assert [td.get_text() for td in sample[0].select("td")][1] == "-1.1"
    assert "and 4 more" in check.get_text()


def test_model_page_has_a_clickable_graph_real_source_and_short_numbers(make_project, open_ws) -> None:
    ws = open_ws(make_project(PROJECT))
    ws.run()
    board = _board(ws)
    board.refresh()
    board.show_model("doubled")
    page = BeautifulSoup(board.model_html.object, "html.parser")
    graph = page.select_one("#il-lineage-graph svg")
    links = {a["data-model"]: a["href"] for a in graph.select("a")}
    assert links == {name: f"/dashboard?model={name}"  # two hops: broken is amounts' other reader
                     for name in ("amounts", "doubled", "after_doubled", "broken")}
    assert graph.select_one("a.il-node-center")["data-model"] == "doubled"
    source = page.select_one("#il-definition").get_text()
    assert source.startswith('@model(materialize="table", tags=["py"])\ndef doubled(amounts):')
    assert "# a comment only the real source has" in source
    assert "0.30000000000000004" not in board.preview_html.object
    assert "<td>0.3</td>" in board.preview_html.object


def test_numbers_and_durations_for_people() -> None:
    assert [number(v) for v in (None, 7, 1234567, 0.1 + 0.2, 3.0, True)] == ["-", "7", "1,234,567", "0.3",
                                                                            "3", "True"]
    assert [duration(v) for v in (None, 12.4, 1534.0, 125_000.0)] == ["-", "12 ms", "1.53 s", "2 min 5 s"]
