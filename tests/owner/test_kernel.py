"""A notebook kernel that ran `%interlace serve` holds the warehouse: a CLI run in a terminal builds
through it (cell-declared models included) and the kernel's DAG widget follows that run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.owner.conftest import owner_file, published


def _execute(kc: Any, code: str) -> str:  # noqa: ANN401 - a jupyter_client client
    """Run ``code`` in the kernel; its printed output (an error fails the test)."""
    printed: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))

    reply = kc.execute_interactive(code, timeout=120, output_hook=hook)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def test_a_cli_run_builds_through_the_kernel_and_its_dag_follows(project: Path) -> None:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(project))
    try:
        said = _execute(kc, "%load_ext interlace\n%interlace serve --port 0 --no-dashboard")
        owner = published(project)
        assert (
            said.splitlines()[0]
            == f"interlace serving demo (dev) from this kernel at {owner['api']}"
        )
        assert owner["kind"] == "kernel"
        _execute(kc, "%%interlace_model from_cell --no-run\nSELECT count(*) AS n FROM stg_orders")
        _execute(kc, "%interlace dag")
        ran = run_cli("run", "-d", str(project))
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.startswith("Running 4 models (run ")
        assert (
            "✓  from_cell  table  1 rows" in ran.stdout
        )  # the kernel's own model, built for the terminal
        run_id = ran.stdout.split("(run ")[1].split(")")[0]
        state = json.loads(
            _execute(
                kc,
                (
                    "import json\nfrom interlace.magics.session import current_session\n"
                    "dag = current_session()._dags[-1][0]\n"
                    "print(json.dumps({'statuses': dag.statuses, 'run_state': dag.run_state, "
                    "'last': current_session().workspace.runs.history(1)[0].run_id}))"
                ),
            )
        )
        assert state == {
            "statuses": dict.fromkeys(
                ["customer_totals", "daily_orders", "from_cell", "stg_orders"], "success"
            ),
            "run_state": "success",
            "last": run_id,
        }
        stopped = _execute(kc, "%interlace serve --stop")
        assert stopped.startswith("Stopped serving")
        assert not owner_file(project).exists()
        refused = run_cli(
            "info", "-d", str(project)
        )  # the kernel still holds it, no longer answering
        assert refused.returncode == 2
        assert "is in use by another process" in refused.stderr
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
