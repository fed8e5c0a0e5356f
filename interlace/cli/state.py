"""``interlace state``: inspect and repair what interlace remembers between runs."""

from __future__ import annotations

import click

from interlace.cli import forward
from interlace.cli.main import cli, console
from interlace.cli.params import workspace_flags


@cli.group()
def state() -> None:
    """Watermarks and other state kept between runs."""


@state.command("reset-cursor")
@click.argument("model")
@workspace_flags
@forward.forwardable
def reset_cursor(model: str, project_dir: str, env: str | None) -> None:
    """Forget MODEL's incremental watermark: its next run reads all input rows again."""
    cleared = forward.answer("state.reset-cursor", project_dir, env, model=model)
    if cleared:
        console.print(f"Cleared the watermark of '{model}': its next run reads all input rows.", markup=False)
    else:
        console.print(f"'{model}' had no watermark.", markup=False)
