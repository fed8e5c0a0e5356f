"""`interlace plan` forwarded to a running owner vs run directly, each in a fresh CLI process.

Two copies of the same project: one served by `interlace serve` (which holds its warehouse, so
`interlace plan` there is sent to the server), one not (plan opens the warehouse itself).
Repetitions are interleaved; the figure is the best of N. `interlace --version` is the floor: the
CLI's own start-up, which both pay. Run: `python bench/forwarding.py [--models 200] [--repeat 7]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchkit import DATA_DIR, Timing, figure, machine_info, run_timed
from layered import LayeredProject


def _project(root: Path, models: int) -> Path:
    if root.exists():
        shutil.rmtree(root)
    LayeredProject(models=models, layers=10, rows=20).write("interlace", root)
    subprocess.run([sys.executable, "-m", "interlace", "run", "-d", str(root)], check=True,
                   capture_output=True)
    return root


def _serve(root: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, "-m", "interlace", "serve", "--port", "0",
                               "--no-dashboard", "--no-scheduler", "-d", str(root)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    owner = root / ".interlace" / "owner" / "dev.json"
    deadline = time.monotonic() + 120
    while not owner.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("interlace serve did not start")
        time.sleep(0.1)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, nargs="+", default=[3, 200])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(machine_info({"benchmark": "interlace plan, forwarded to `interlace serve` vs direct"}))
    cli = [sys.executable, "-m", "interlace"]
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    floor = Timing(tuple(run_timed([*cli, "--version"], env=env) for _ in range(args.repeat)))
    figure("CLI start-up (interlace --version)", floor)
    for count in args.models:
        direct_root = _project(DATA_DIR / f"forwarding-{count}-direct", count)
        served_root = _project(DATA_DIR / f"forwarding-{count}-served", count)
        server = _serve(served_root)
        try:
            # warm the server's parse cache
            run_timed([*cli, "plan", "-d", str(served_root)], env=env)
            direct: list[float] = []
            forwarded: list[float] = []
            for _ in range(args.repeat):
                direct.append(run_timed([*cli, "plan", "-d", str(direct_root)], env=env))
                forwarded.append(run_timed([*cli, "plan", "-d", str(served_root)], env=env))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(60)
        d, f = Timing(tuple(direct)), Timing(tuple(forwarded))
        figure(f"plan, {count} models, direct", d, base=floor, base_name="start-up")
        figure(f"plan, {count} models, forwarded to serve", f, base=d, base_name="direct")
        print(f"{'':<52} forwarded - direct: {f.best - d.best:+.3f} s", flush=True)
    print(f"load at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
