"""``interlace promote --from ENV --to ENV [SELECTOR]``: copy tables between environments."""

from __future__ import annotations

import json
from typing import Any

from interlace.cli.main import command, console, open_workspace
from interlace.cli.params import build_options, json_flag, options_from, workspace_flags
from interlace.options import PromoteOptions

_VERBS = {"copy": "would copy", "copied": "copied", "skip": "skipped", "refused": "refused"}


@command(name="promote")
@options_from(PromoteOptions)
@workspace_flags
@json_flag
def promote(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Copy the selected table models from one environment's warehouse to another's (engine-side)."""
    options: PromoteOptions = build_options(PromoteOptions, values)
    with open_workspace(project_dir, env or options.source) as ws:
        result = ws.promote(options)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    if not result.steps:
        console.print("Nothing to promote: the selection has no table models.", markup=False)
        return
    head = "Dry run: " if result.dry_run else ""
    console.print(f"{head}promote {result.source} -> {result.target}", markup=False)
    for step in result.steps:
        rows = f", {step.rows:,} rows" if step.rows is not None else ""
        console.print(f"  {_VERBS[step.action]:<11} {step.model}  ({step.reason}{rows})", markup=False)
