"""Shared helpers for the benchmark scripts: machine info, fresh-process timing, ratio lines.

Not a benchmark itself. Every script in bench/ imports it as ``benchkit`` (the script's own
directory is on ``sys.path`` when it runs as ``python bench/<script>.py``).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BENCH_DIR",
    "DATA_DIR",
    "PEERS_VENV",
    "REPO",
    "TPCH_VENV",
    "Timing",
    "best_of",
    "figure",
    "machine_info",
    "run_timed",
    "venv_python",
]

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"  # git-ignored: generated data and projects
PEERS_VENV = BENCH_DIR / ".peers-venv"  # dbt-core, dbt-duckdb, sqlmesh (made by `make bench`)
TPCH_VENV = BENCH_DIR / ".tpch-venv"  # duckdb==<ext version> + duckdb-extension-tpch (data only)

# Peers must never phone home (there is no network here, and a blocked call would be timed).
QUIET_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1",
    "DBT_VERSION_CHECK": "false",
}


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall-clock seconds of each repetition; the figure reported is the best (minimum)."""

    runs: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.runs)

    def __str__(self) -> str:
        return f"{self.best:8.3f} s"


def machine_info(extra: Mapping[str, str] | None = None) -> str:
    """One paragraph describing the machine and the versions that matter to the numbers."""
    import duckdb

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    load = ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    lines = [
        f"machine: {platform.platform()}; {cpu}; {os.cpu_count()} cores{mem}{load}",
        f"python {platform.python_version()}, duckdb {duckdb.__version__}, interlace {_interlace_version()}",
        f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
    ]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return "\n".join(lines)


def _interlace_version() -> str:
    try:
        import interlace

        return interlace.__version__
    except ImportError:  # pragma: no cover - the bench always runs in the project venv
        return "?"


def run_timed(cmd: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
              check: bool = True) -> float:
    """Run ``cmd`` in a fresh process; return its wall-clock seconds (imports and start-up count)."""
    full_env = {**os.environ, **QUIET_ENV, **(env or {})}
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=cwd, env=full_env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    return elapsed


def best_of(repeat: int, once: Callable[[], float], *, before: Callable[[], None] | None = None) -> Timing:
    """Call ``before`` then ``once`` ``repeat`` times; keep every wall-clock figure."""
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        runs.append(once())
    return Timing(tuple(runs))


def figure(label: str, value: Timing | float, *, base: Timing | float | None = None, base_name: str = "",
           target: str = "") -> str:
    """One result line: the figure, its ratio to a baseline, and the target if there is one."""
    seconds = value.best if isinstance(value, Timing) else value
    line = f"{label:<52} {seconds:9.3f} s"
    if base is not None:
        base_s = base.best if isinstance(base, Timing) else base
        ratio = seconds / base_s if base_s else float("inf")
        line += f"   {ratio:7.2f}x {base_name}".rstrip()
    if target:
        line += f"   [target {target}]"
    print(line, flush=True)
    return line


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def remove(path: Path) -> None:
    """Delete a file or a directory tree if it exists."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
