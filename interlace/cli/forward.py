"""Commands that send their work to the process holding the warehouse, and print its answer.

When a live owner (``interlace serve``, ``interlace scheduler``, a kernel after ``%interlace
serve``) published itself for the project and environment (``.interlace/owner/``), a command
decorated with :func:`forwardable` asks it (:func:`answer`, :func:`run`) instead of opening the
warehouse, which DuckDB would refuse. The answer is the same value the command computes when it
runs alone (:mod:`interlace.owner.calls`), so the command renders it with the same code either
way. ``--no-forward`` or ``INTERLACE_NO_FORWARD=1`` opens the warehouse here (and, while it is
held, shows the lock error).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from interlace.cli.main import open_workspace

if TYPE_CHECKING:
    from interlace.engine.results import RunResult
    from interlace.events import Event
    from interlace.options import RunOptions
    from interlace.owner.client import OwnerClient

__all__ = ["answer", "check_unowned", "forwardable", "owner_client", "run"]

F = TypeVar("F", bound=Callable[..., Any])
_META = "interlace.no_forward"


def forwardable(command: F) -> F:
    """Give a command ``--no-forward`` (also ``INTERLACE_NO_FORWARD=1``)."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        ctx.meta[_META] = value
        return value

    return click.option(
        "--no-forward",
        is_flag=True,
        expose_value=False,
        callback=remember,
        envvar="INTERLACE_NO_FORWARD",
        show_envvar=True,
        help="never send the command to the process holding the warehouse "
        "(interlace serve, a kernel): open it here, or fail with the lock error",
    )(command)


def env_name(env: str | None) -> str:
    """The environment a command means (as ``load_config`` resolves it), without reading config."""
    return env or os.environ.get("INTERLACE_ENV") or "dev"


def owner_client(project_dir: str, env: str | None) -> OwnerClient | None:
    """A client of the live owner of the project's ``env`` warehouse; None when there is none or
    forwarding is off."""
    context = click.get_current_context(silent=True)
    if context is not None and context.meta.get(_META):
        return None
    from interlace.owner.file import find_owner, read_token

    root = Path(project_dir).resolve()
    owner = find_owner(root, env_name(env))
    if owner is None:
        return None
    from interlace.owner.client import OwnerClient

    return OwnerClient(owner, read_token(root, owner))


def answer(name: str, project_dir: str, env: str | None, **args: Any) -> Any:
    """The answer of call ``name``: from the warehouse's owner if one is live, else made here."""
    from interlace.owner.client import OwnerGone

    client = owner_client(project_dir, env)
    if client is not None:
        try:
            return client.call(name, env_name(env), args)
        except OwnerGone:
            pass  # it stopped before taking the call: nobody holds the warehouse now
    from interlace.owner.calls import answer as local_answer

    with open_workspace(project_dir, env) as ws:
        return local_answer(ws, name, args)


def run(
    project_dir: str, env: str | None, options: RunOptions, on_event: Callable[[Event], None] | None
) -> RunResult | None:
    """The run's result from the owner (its events passed to ``on_event``); None when no owner is
    live, for the caller to run here."""
    from interlace.owner.client import OwnerGone

    client = owner_client(project_dir, env)
    if client is None:
        return None
    try:
        return client.run(env_name(env), dataclasses.asdict(options), on_event=on_event)
    except OwnerGone:
        return None


def check_unowned(project_dir: str, env: str | None) -> None:
    """Refuse to become an owner where a live one is: say who holds the warehouse and where."""
    from interlace.owner.file import already_held, find_owner

    root = Path(project_dir).resolve()
    owner = find_owner(root, env_name(env))
    if owner is not None:
        raise already_held(root, owner)
