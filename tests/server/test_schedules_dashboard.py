"""The dashboard's Schedules and Dead letters tabs, and the notebook-run page over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from interlace.keys import Principal
from interlace.runner.notebook import NotebookRequest, run_notebook
from interlace.scheduler import Scheduler
from tests.conftest import write_files
from tests.runner.test_notebook_run import write_notebook
from tests.server.conftest import start_live


def test_schedules_tab_links_the_rendered_notebook_and_the_page_escapes_outputs(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {
        "config.yaml": "name: p\nschedules:\n  report:\n    notebook: notebooks/hello.ipynb\n    every: 1h\n"
                       "  broken:\n    selector: bad\n    every: 1h\n"
                       "    retry_policy: {max_attempts: 2, initial_delay: 0, jitter: false}\n",
        "models/bad.sql": "SELECT * FROM missing_table",
    })
    write_notebook(project / "notebooks" / "hello.ipynb", [
        ("params", "who = 'world'", ["parameters"]),
        ("greet", "print(f'hello {who}')", []),
        ("html", "from IPython.display import HTML\nHTML('<script>alert(1)</script><b>bold</b>')", []),
    ])
    live = start_live(project)
    try:
        ws, svc = live.workspace, live.server.server.config.app.state.interlace
        record = run_notebook(NotebookRequest("notebooks/hello.ipynb", {"who": "dashboard"}, trigger="schedule:report"),
                              workspace=ws)
        assert record.status == "success", record.error
        scheduler = Scheduler(ws, call=svc.call)
        scheduler.load()
        ws.state.upsert_schedule("report", kind="notebook", spec=scheduler.definitions["report"].to_dict(),
                                 next_fire_at=None, now=record.started_at)
        ws.state.claim_fire("report", record.started_at, now=record.started_at)
        ws.state.record_fire("report", record.started_at, status="success", run_id=record.run_id, finished=True)
        scheduler.trigger("broken")
        scheduler.wait_idle(retries=True)

        from interlace.server.dashboard.app import Dashboard

        board = Dashboard(svc, Principal("t", "read", "t"), base="/dashboard")
        board.refresh()
        tab = board.schedules_html.object
        assert 'id="il-schedules"' in tab and "notebooks/hello.ipynb" in tab
        assert f'href="/api/v1/notebook_runs/{record.run_id}/html"' in tab
        assert "2 attempts" in tab  # the broken schedule's retry policy
        dlq = board.dlq_html.object
        assert 'id="il-dead-letters"' in dlq and "broken" in dlq and "missing_table" in dlq
        board.close()

        page = httpx.get(f"{live.url}/api/v1/notebook_runs/{record.run_id}/html",
                         headers={"Authorization": f"Bearer {live.keys['read']}"})
        assert page.status_code == 200
        assert "script-src" not in page.headers["content-security-policy"]
        assert "default-src 'none'" in page.headers["content-security-policy"]
        text = page.text
        assert "hello dashboard" in text and "<script>alert" not in text
        assert "<b>bold</b>" not in text  # the HTML output is not rendered as HTML: its text/plain is
        assert '<pre class="out">&lt;IPython.core.display.HTML object&gt;</pre>' in text
        assert "[2] code" in text and '{"who": "dashboard"}' in text.replace("&quot;", '"')
        missing = httpx.get(f"{live.url}/api/v1/notebook_runs/nope/html",
                            headers={"Authorization": f"Bearer {live.keys['read']}"})
        assert missing.status_code == 404 and "no notebook run with id 'nope'" in missing.text
    finally:
        live.server.stop()
        live.workspace.close()
