"""A generated project of many tiny models in a DAG (the worker test and bench/workers.py)."""

from __future__ import annotations

from pathlib import Path

GATE = '''
import os
import time
from pathlib import Path

from interlace import model


@model
def gate(m050):
    """Waits until the file named by INTERLACE_TEST_GATE exists (the test holds a worker here)."""
    release = Path(os.environ["INTERLACE_TEST_GATE"])
    while not release.exists():
        time.sleep(0.05)
    return m050
'''


def upstream(i: int) -> tuple[int, int]:
    """Two earlier models that model ``i`` joins (a DAG that is wide and deep)."""
    return i - 1 - (i * 7) % min(i, 10), (i * 37 + 11) % i


def write_dag(root: Path, config: str, *, models: int = 200, gate: bool = True) -> list[str]:
    """Write the project; returns the model names."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(config)
    names = []
    for i in range(models):
        name = f"m{i:03d}"
        if i < 10:
            sql = f"SELECT range AS k, (range * {i + 1}) % 7 AS v FROM range(20)"
        else:
            a, b = upstream(i)
            extra = " JOIN gate AS g USING (k)" if gate and i > 100 and i % 25 == 0 else ""
            sql = (f"SELECT a.k, (a.v + b.v + {i}) % 1000 AS v FROM m{a:03d} AS a "
                   f"JOIN m{b:03d} AS b USING (k){extra}")
        (root / "models" / f"{name}.sql").write_text(sql + "\n")
        names.append(name)
    if gate:
        (root / "models" / "gate.py").write_text(GATE)
        names.append("gate")
    return names
