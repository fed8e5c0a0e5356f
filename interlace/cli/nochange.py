"""The no-change fast path of ``interlace run`` (see :mod:`interlace.nochange`), for the CLI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from interlace.nochange import Pending, pending_nochange, read_nochange

__all__ = ["answer", "pending"]


def answer(project_dir: str, env: str | None) -> None:
    """Print the recorded answer and exit 0 when nothing changed since the last no-change run;
    return (so that the full run goes on) otherwise."""
    found = read_nochange(Path(project_dir).resolve(), env)
    if found is None:
        return
    print(f"Nothing to do: {found.up_to_date} up to date (nothing changed since run {found.run_id}, "
          "which built nothing; no run recorded)")
    sys.exit(0)


def pending(ws: Any, plan: Any) -> Pending | None:
    """What to record once ``ws`` is closed, when ``plan`` built nothing and may be reused."""
    return pending_nochange(ws, [(step.model, step.action) for step in plan.steps])
