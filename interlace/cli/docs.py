"""``interlace docs build`` and ``interlace docs serve``: the static documentation site."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import build_options, json_flag, options_from, workspace_flags
from interlace.options import DocsOptions, DocsServeOptions


@cli.group()
def docs() -> None:
    """The documentation site: a page per model and notebook, lineage, run history and search."""


@docs.command("build")
@options_from(DocsOptions)
@workspace_flags
@json_flag
def build(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Build the static site (it works from file:// and any static host; nothing is fetched).

    Notebooks are rendered from their stored outputs, never executed.
    """
    from interlace.docs.site import build_site

    options = build_options(DocsOptions, values)
    with open_workspace(project_dir, env) as ws:
        summary = build_site(ws, options.out, select=options.select, force=options.force)
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2))
        return
    broken = f", {len(summary.broken_notebooks)} could not be rendered" if summary.broken_notebooks else ""
    console.print(f"Built {summary.models} model pages and {summary.notebooks} notebook pages{broken} "
                  f"in {summary.seconds:.1f} s ({summary.bytes / 1e6:.1f} MB): {summary.index}")
    for path in summary.broken_notebooks:
        console.print(f"  [yellow]could not render[/] {path} (its page says why)")


@docs.command("serve")
@options_from(DocsServeOptions)
@workspace_flags
def serve(project_dir: str, env: str | None, **values: Any) -> None:
    """Build the site, serve it on 127.0.0.1 and rebuild it (and reload the page) when files change."""
    from interlace.docs.serve import DocsServer

    options = build_options(DocsServeOptions, values)
    with open_workspace(project_dir, env) as ws:
        root = ws.root
        out = Path(options.out) if options.out else root / "site"
    server = DocsServer(lambda: open_workspace(str(root), env), root, out if out.is_absolute() else root / out,
                        select=options.select, force=options.force, port=options.port).start()
    console.print(f"Serving the docs of {root} at {server.url} (Ctrl-C stops)", soft_wrap=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        raise click.exceptions.Exit(0) from None
