"""What a CLI command may ask of the warehouse's owner: each command's answer as plain data.

Each call takes the workspace and the command's arguments and returns what the command prints,
as values (no text): the CLI renders that answer with the same code whether the call ran in
its own process (:func:`answer` on a workspace it opened) or in the owner's (over the channel).
A run is not here: it streams its events (:mod:`interlace.owner.channel`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from interlace.errors import InvalidOptionError, did_you_mean
from interlace.options import PlanOptions
from interlace.owner.stream_calls import STREAM_CALLS

if TYPE_CHECKING:
    from interlace.workspace import Workspace

__all__ = ["CALLS", "answer"]

Call = Callable[["Workspace", dict[str, Any]], Any]


def info(ws: Workspace, args: dict[str, Any]) -> Any:
    return ws.info()


def plan(ws: Workspace, args: dict[str, Any]) -> Any:
    options = PlanOptions(**args)
    the_plan = ws.plan(options.run_options())
    # SQLMesh shows destructive changes in every plan: edited models are always previewed
    previews = ws.plan_diff(the_plan, edited_only=not options.diff)
    broken = ws.graph().broken
    problems = {
        s.model: broken[s.model].to_dict() if s.model in broken else None
        for s in the_plan.errors
        if s.action == "error"
    }
    return {
        "plan": the_plan.to_dict(),
        "explain": the_plan.explain(),
        "previews": [p.to_dict() for p in previews.values()],
        "problems": problems,
    }


def quality(ws: Workspace, args: dict[str, Any]) -> Any:
    return [r.to_dict() for r in ws.quality_results(args["model"], latest=not args["history"])]


def keys_list(ws: Workspace, args: dict[str, Any]) -> Any:
    return [r.to_dict() for r in ws.keys.list(include_revoked=args["include_revoked"])]


def schema_list(ws: Workspace, args: dict[str, Any]) -> Any:
    names = sorted(ws.select(args["select"] or None))
    return {
        "columns": {name: ws.columns(name) for name in names},
        "kinds": {name: ws.models[name].materialize for name in names},
    }


def schema_history(ws: Workspace, args: dict[str, Any]) -> Any:
    return [
        {
            "version": v.version,
            "recorded_at": v.recorded_at,
            "run_id": v.run_id,
            "columns": v.columns,
            "changes": v.changes,
        }
        for v in ws.schema_history(args["model"])
    ]


def lineage_show(ws: Workspace, args: dict[str, Any]) -> Any:
    model, _, column = args["target"].partition(".")
    ws.project.get(model)
    return [
        t.to_dict()
        for t in ws.lineage().trees(model, column or None, downstream=args["downstream"])
    ]


def reset_cursor(ws: Workspace, args: dict[str, Any]) -> Any:
    return ws.reset_cursor(args["model"])


CALLS: dict[str, Call] = {
    "info": info,
    "plan": plan,
    "quality": quality,
    "keys.list": keys_list,
    "schema.list": schema_list,
    "schema.history": schema_history,
    "lineage.show": lineage_show,
    "state.reset-cursor": reset_cursor,
    **STREAM_CALLS,
}


def answer(ws: Workspace, name: str, args: dict[str, Any]) -> Any:
    """The answer of call ``name`` on ``ws``."""
    call = CALLS.get(name)
    if call is None:
        raise InvalidOptionError(
            f"the owner has no call '{name}'.{did_you_mean(name, CALLS)}",
            hint="the CLI and the owner are different interlace versions: restart the owner",
        )
    return call(ws, args)
