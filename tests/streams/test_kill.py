"""The streams kill test, small: a real `interlace serve`, 4 clients, 2,000 events, 1 SIGKILL.

Every event acknowledged with a 2xx is in the table exactly once (by `_event_id`) and an HTTP
consumer saw each at least once. The full-size run is bench/streams_load.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "streams_load.py"


@pytest.mark.slow
def test_no_acknowledged_event_is_lost_or_doubled_across_a_sigkill(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("streams_load", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["streams_load"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    result = module.run_load(tmp_path / "p", events=2000, clients=4, kills=1, batch=20)
    assert result["kills"] == 1
    assert result["events"] == 2000 and result["stored"] == 2000
