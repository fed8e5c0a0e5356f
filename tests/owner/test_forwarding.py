"""A server and the CLI on one project: commands are sent to the owner and print what they would
print themselves; the bad paths (no forwarding, a second server, an owner that dies) say why."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.conftest import run_cli
from tests.owner.conftest import CLI_ENV, owner_file, published, serving

READ_COMMANDS = [
    ("plan", "--diff"),
    ("info",),
    ("quality",),
    ("schema", "list", "--json"),
    ("lineage", "show", "customer_totals.total"),
    ("keys", "list"),
    ("plan", "no_such_model"),
]


def _masked(text: str) -> str:
    """A run's output without what differs between two runs: its id and its timings."""
    text = re.sub(r"\b[0-9a-f]{12}\b", "RUN", text)
    return re.sub(r"\d+\.\d+s\b", "T", text)


def test_forwarded_commands_print_what_direct_ones_print(project: Path) -> None:
    direct_run = run_cli("run", "-d", str(project))
    assert direct_run.returncode == 0, direct_run.stderr
    (project / "models" / "stg_orders.sql").write_text(
        (project / "models" / "stg_orders.sql")
        .read_text()
        .replace("amount\n", "amount,\n    1 AS one\n")
    )
    direct = {args: run_cli(*args, "-d", str(project)) for args in READ_COMMANDS}
    with serving(project):
        forwarded = {args: run_cli(*args, "-d", str(project)) for args in READ_COMMANDS}
        forced = run_cli("run", "--force", "-d", str(project))
    for args in READ_COMMANDS:
        assert (forwarded[args].stdout, forwarded[args].stderr, forwarded[args].returncode) == (
            direct[args].stdout,
            direct[args].stderr,
            direct[args].returncode,
        ), args
    assert "one: new column INTEGER" in direct[("plan", "--diff")].stdout  # the edit, previewed
    assert direct[("plan", "no_such_model")].returncode == 2
    assert "Error: no model named 'no_such_model'" in direct[("plan", "no_such_model")].stderr
    assert forced.returncode == 0, forced.stderr
    assert _masked(forced.stdout) == _masked(
        "Running 3 models (run 000000000000)\n"
        "[1/3]  ✓  stg_orders  table  6 rows  0.01s\n"
        "[2/3]  ✓  daily_orders  view  0.00s\n"
        "[3/3]  ✓  customer_totals  table  3 rows  0.01s\n\n"
        "Run 000000000000 success in 0.10s: 3 succeeded, 0 failed, 0 skipped\n"
    )
    con = duckdb.connect(str(project / ".interlace" / "dev.duckdb"), read_only=True)
    try:  # the server built it: one warehouse, its runs recorded as the CLI's
        assert con.execute(
            "SELECT trigger, status FROM interlace.runs ORDER BY started_at"
        ).fetchall() == [("cli", "success"), ("cli", "success")]
        assert con.execute("SELECT one FROM stg_orders LIMIT 1").fetchall() == [(1,)]
    finally:
        con.close()
    assert not owner_file(project).exists()  # the server removed it when it stopped


def test_no_forward_gives_the_lock_error(project: Path) -> None:
    with serving(project) as server:
        flagged = run_cli("info", "--no-forward", "-d", str(project))
        by_env = run_cli("plan", "-d", str(project), env={"INTERLACE_NO_FORWARD": "1"})
    for result in (flagged, by_env):
        assert result.returncode == 2
        flat = " ".join(result.stderr.split())
        assert flat.startswith(
            f"Error: the warehouse {project / '.interlace' / 'dev.duckdb'} is in use by another process "
            f"(PID {server.pid}: "
        )
        assert flat.endswith(
            "DuckDB lets one process at a time write a database file. Fix: wait for that process to finish "
            "or stop it; if it is `interlace serve`, send the work to its API instead; or point this "
            "environment at another file (--env / config.yaml)"
        )


def test_a_second_server_says_who_holds_the_warehouse(project: Path) -> None:
    with serving(project) as server:
        owner = published(project)
        second = run_cli("serve", "--port", "0", "-d", str(project))
    assert second.returncode == 2
    assert " ".join(second.stderr.split()) == " ".join(
        (
            f"Error: the warehouse of environment 'dev' in {project} is already held by interlace serve "
            f"(PID {server.pid}) at {owner['api']}, since {owner['since']}\n"
            "Fix: use that one (interlace commands in this project are sent to it), or stop it first (Ctrl-C "
            f"in its terminal, or `kill {server.pid}`)"
        ).split()
    )


def test_a_token_file_others_may_read_is_refused(project: Path) -> None:
    with serving(project):
        token = project / ".interlace" / "owner" / "dev.token"
        assert token.stat().st_mode & 0o777 == 0o600
        token.chmod(0o644)
        refused = run_cli("info", "-d", str(project))
        token.chmod(0o600)
        fixed = run_cli("info", "-d", str(project))
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == f"Fix: chmod 600 {token}"
    assert " ".join(refused.stderr.split()) == " ".join(
        (
            f"Error: the owner token file {token} may be read by others (mode 0644): anyone who can read it "
            f"can run anything on this warehouse, so it is not used Fix: chmod 600 {token}"
        ).split()
    )
    assert fixed.returncode == 0, fixed.stderr


def test_an_owner_that_dies_mid_run_leaves_nothing_half_done(project: Path) -> None:
    (project / "models" / "slow.py").write_text(
        "import time\nfrom interlace import model\n\n\n@model(materialize='table')\n"
        "def slow(stg_orders):\n    time.sleep(60)\n    return stg_orders\n"
    )
    with serving(project) as server:
        cli = subprocess.Popen(
            [sys.executable, "-m", "interlace", "run", "-d", str(project)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **CLI_ENV},
        )
        assert cli.stdout is not None
        while "stg_orders" not in (line := cli.stdout.readline()):  # progress arrives while it runs
            assert line, cli.stderr.read() if cli.stderr else ""
        os.kill(server.pid, signal.SIGKILL)
        out, err = cli.communicate(timeout=60)
    assert cli.returncode == 2
    flat = " ".join(err.split())
    assert flat.startswith(f"Error: interlace serve (PID {server.pid}) at ")
    assert "went away during `run`: the connection" in flat
    assert flat.endswith(
        "Each model the owner was building is one transaction: what it did not finish was rolled back, and "
        "the run is marked interrupted when the warehouse is opened next. "
        "Fix: run the command again (it runs in this process when no owner is left)"
    )
    after = run_cli(
        "info", "--json", "-d", str(project)
    )  # the dead owner's file is stale: opened here
    assert after.returncode == 0, after.stderr
    assert not owner_file(project).exists()
    con = duckdb.connect(str(project / ".interlace" / "dev.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT status FROM interlace.runs").fetchall() == [("interrupted",)]
        assert con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'slow'"
        ).fetchall() == [(0,)]
    finally:
        con.close()


def test_edits_while_serving_show_in_the_next_plan(project: Path) -> None:
    models = project / "models"
    with serving(project):
        assert run_cli("run", "-d", str(project)).returncode == 0
        (models / "extra.sql").write_text("SELECT order_id FROM stg_orders\n")
        time.sleep(1.1)  # the server looks at the files at most once a second
        added = run_cli("plan", "-d", str(project))
        (models / "extra.sql").write_text("SELECT order_id FROM stg_orders WHERE (\n")
        time.sleep(1.1)
        broken = run_cli("plan", "-d", str(project))
        (models / "extra.sql").write_text("SELECT order_id, amount FROM stg_orders\n")
        time.sleep(1.1)
        fixed = run_cli("run", "-d", str(project))
    assert added.returncode == 0, added.stderr
    assert "extra            build   its table does not exist yet" in added.stdout
    assert "1 model to build, 3 up to date." in added.stdout
    assert broken.returncode == 1
    assert (
        "extra            error   cannot be built: model 'extra' (models/extra.sql:1): SQL does not parse"
        in broken.stdout
    )
    assert "0 models to build, 3 up to date, 1 with errors." in broken.stdout  # the others are fine
    assert fixed.returncode == 0, fixed.stderr
    assert "✓  extra  table  6 rows" in fixed.stdout
    assert "1 succeeded, 0 failed, 0 skipped, 3 up to date" in fixed.stdout


def test_ctrl_c_in_a_forwarded_run_cancels_it_on_the_owner(project: Path) -> None:
    gate, started = project / "gate", project / "gated-started"
    (project / "models" / "gated.py").write_text(
        "import time\nfrom pathlib import Path\nfrom interlace import model\n\n\n"
        "@model(materialize='table')\ndef gated(stg_orders):\n"
        f"    Path({str(started)!r}).touch()\n"
        f"    while not Path({str(gate)!r}).exists():\n        time.sleep(0.02)\n    return stg_orders\n")
    with serving(project):
        cli = subprocess.Popen([sys.executable, "-m", "interlace", "run", "-d", str(project)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **CLI_ENV})
        assert cli.stdout is not None
        while "stg_orders" not in (line := cli.stdout.readline()):
            assert line, cli.stderr.read() if cli.stderr else ""
        while not started.exists():  # Ctrl-C while `gated` runs (not before it started: a race)
            assert cli.poll() is None, cli.stderr.read() if cli.stderr else ""
            time.sleep(0.02)
        cli.send_signal(signal.SIGINT)
        while "cancelling" not in (line := cli.stdout.readline()):  # the owner says it is cancelling
            assert line, cli.stderr.read() if cli.stderr else ""
        # as a local run says it, naming the models that had started when Ctrl-C came (if any)
        assert re.fullmatch(r"cancelling…( \(waiting for models? [a-z_, ]+; press Ctrl-C again to "
                            r"abandon\))?", line.strip()), line
        gate.touch()  # the Python model returns; its result is not written
        out, err = cli.communicate(timeout=60)
        after = run_cli("info", "--json", "-d", str(project))
    assert cli.returncode == 130, err
    assert re.search(r"\[\d/4\]  ■  gated  its table does not exist yet", out)  # cancelled, not written
    assert re.search(r"Run [0-9a-f]{12} cancelled in ", out)
    assert '"status": "cancelled"' in after.stdout
    con_path = project / ".interlace" / "dev.duckdb"
    con = duckdb.connect(str(con_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'gated'").fetchall() == [(0,)]
    finally:
        con.close()
