"""The dashboard's preview and the CLI's quality samples show floats for people; the API's JSON keeps
the stored value (machines read it)."""

from __future__ import annotations

from tests.conftest import run_cli

NOISY = {
    "models/noisy.sql": """
        -- @model(quality_checks=[{"expression": {"expression": "v > 1", "severity": "warn"}}])
        SELECT 0.1::DOUBLE + 0.2::DOUBLE AS v, 22019.18::DOUBLE + 0.000000000004 AS total
    """,
}


def test_dashboard_preview_shows_short_floats(make_project, open_ws) -> None:
    from interlace.keys import Principal
    from interlace.server.dashboard.app import Dashboard
    from interlace.server.queries import preview
    from interlace.server.service import Service

    ws = open_ws(make_project(NOISY))
    ws.run().raise_for_status()
    svc = Service(ws)
    board = Dashboard(svc, Principal("t", "read", "t"), base="")
    board.show_model("noisy")
    html = board.preview_html.object
    assert "<td>0.3</td><td>22019.18</td>" in html and "0.30000000000000004" not in html
    assert preview(ws, "noisy", 5)[1] == [{"v": 0.30000000000000004, "total": 22019.180000000004}]


def test_cli_quality_samples_show_short_floats(make_project) -> None:
    root = make_project(NOISY)
    assert run_cli("run", "-d", str(root)).returncode == 0
    shown = run_cli("quality", "-d", str(root))
    assert shown.returncode == 0, shown.stderr
    assert "  v=0.3, total=22019.18\n" in shown.stdout
