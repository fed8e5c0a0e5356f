"""How run events change a DAG view's node statuses: the core fold (``interlace.events.fold``)
seen as the DAG's three synced values, shared by the notebook ``DagWidget`` and the dashboard's DAG
(no anywidget or Panel import)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from interlace.events import RunView, fold, outcome

__all__ = ["EVENT_STATUS", "DagState", "fold_event", "run_info"]

EVENT_STATUS = {"model.queued": "queued", "model.started": "running", "model.finished": "success",
                "model.failed": "failed"}


@dataclass(frozen=True, slots=True)
class DagState:
    statuses: dict[str, str]
    runinfo: dict[str, dict[str, Any]]
    run_state: str


def fold_event(known: Collection[str], state: DagState, event: Mapping[str, Any]) -> DagState | None:
    """The state after one event (``Event.to_dict()``), or None when the event changes nothing."""
    before = RunView(status=state.run_state, statuses=state.statuses, info=state.runinfo)
    after = fold(before, event, known)
    if after is before:
        return None
    return DagState(dict(after.statuses), {k: dict(v) for k, v in after.info.items()}, after.status)


def run_info(event: Mapping[str, Any]) -> dict[str, Any]:
    """What a node's details show about the model's last run."""
    return outcome(event)
