"""``interlace init NAME``: a new project whose example models run on the first try."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import click

from interlace.cli.main import cli, console
from interlace.errors import ProjectError


@cli.command()
@click.argument("name")
def init(name: str) -> None:
    """Create the project directory NAME (`.`: this empty directory) with a config, seed data and example models."""
    target = Path(name)
    if target.exists() and any(target.iterdir()):
        raise ProjectError(f"{target} already exists and is not empty",
                           hint="choose a new directory name, or empty that directory first")
    template = resources.files("interlace") / "templates" / "project"
    with resources.as_file(template) as source:
        shutil.copytree(source, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".interlace"))
    project_name = target.resolve().name  # `init .` names the project after the directory
    config = target / "config.yaml"
    config.write_text(config.read_text().replace("{{ name }}", project_name))
    console.print(f"Created project [bold]{project_name}[/] in {target.resolve()}")
    here = target.resolve() == Path.cwd().resolve()
    console.print("Next: interlace run" if here else f"Next: cd {name} && interlace run")
