"""How run events change a DAG view's node statuses: one pure function shared by the notebook
``DagWidget`` and the dashboard's DAG (no anywidget or Panel import)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DagState", "fold_event"]

EVENT_STATUS = {"model.queued": "queued", "model.started": "running", "model.finished": "success",
                "model.failed": "failed"}


@dataclass(frozen=True, slots=True)
class DagState:
    statuses: dict[str, str]
    runinfo: dict[str, dict[str, Any]]
    run_state: str


def fold_event(known: Collection[str], state: DagState, event: Mapping[str, Any]) -> DagState | None:
    """The state after one event (``Event.to_dict()``), or None when the event changes nothing."""
    kind, model = event.get("type"), event.get("model")
    statuses, info = dict(state.statuses), dict(state.runinfo)
    if kind == "run.started":
        for name in event.get("models", ()):
            if name in known:
                statuses[name] = "queued"
        return DagState(statuses, info, "running")
    if kind in ("run.finished", "run.failed", "run.cancelled"):
        return DagState(statuses, info, str(event.get("status") or str(kind).split(".")[1]))
    if model not in known:
        return None
    if kind in EVENT_STATUS:
        statuses[str(model)] = EVENT_STATUS[str(kind)]
        if kind in ("model.finished", "model.failed"):
            info[str(model)] = run_info(event)
    elif kind == "model.skipped":
        statuses[str(model)] = str(event.get("status") or "skipped")
        info[str(model)] = run_info(event)
    else:
        return None
    return DagState(statuses, info, state.run_state)


def run_info(event: Mapping[str, Any]) -> dict[str, Any]:
    """What a node's details show about the model's last run."""
    error = event.get("error") or {}
    return {
        "status": event.get("status"), "rows": event.get("rows"), "duration_ms": event.get("duration_ms"),
        "inserted": event.get("inserted"), "updated": event.get("updated"), "deleted": event.get("deleted"),
        "reason": event.get("reason") or event.get("skip_reason"),
        "error": error.get("message") if isinstance(error, dict) else None,
        "hint": error.get("hint") if isinstance(error, dict) else None,
    }
