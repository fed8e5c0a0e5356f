"""The README's five-minute tour, as a new user runs it: its shell blocks, in order, in a fresh
directory, with the real `interlace` of this virtualenv on PATH (and nothing else set up)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def tour() -> str:
    text = README.read_text()
    start = text.index("## A five-minute tour")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(section: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", section, flags=re.S | re.M)


def test_the_tour_shell_blocks_run_in_a_fresh_directory(tmp_path: Path) -> None:
    section = tour()
    shell = blocks(section, "bash")
    assert len(shell) >= 2 and shell[0].startswith("interlace init my-shop\n")
    # servers (`interlace serve`, `interlace docs serve`) run until stopped: the tour test runs the rest
    lines = [ln for b in shell for ln in b.splitlines() if not re.match(r"^interlace (docs )?serve\b", ln)]
    script = "set -euo pipefail\n" + "\n".join(lines)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLACE_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               COLUMNS="200", NO_COLOR="1", HOME=str(tmp_path))
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    first = out.index("3 succeeded, 0 failed, 0 skipped")
    assert out.index("0 succeeded, 0 failed, 0 skipped, 3 up to date") > first  # the second run builds nothing
    assert "0 models to build, 3 up to date." in out
    assert (tmp_path / "my-shop" / ".interlace" / "dev.duckdb").is_file()
    # every output the tour shows (a plain ``` block) is what the commands print
    shown = blocks(section, "")
    lineage = [b for b in shown if b.startswith("customer_totals.total")]
    assert lineage and lineage[0] in out
