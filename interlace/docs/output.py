"""The site's output directory: refuse places where writing would destroy something, mark ours.

A directory we built holds :data:`MARKER`. Building into a non-empty directory without it, or into
the project's model paths (the site's files would be discovered as models), is refused unless the
caller forces it. A rebuild replaces the whole previous site, so deleted models lose their pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from interlace.errors import InvalidOptionError

__all__ = ["MARKER", "prepare_output"]

MARKER = ".interlace-docs"


def prepare_output(out: Path, *, root: Path, model_paths: list[str], force: bool) -> Path:
    """Make ``out`` an empty directory marked as ours; returns it resolved.

    Raises:
        InvalidOptionError: ``out`` is inside a model path, is a file, or is a non-empty directory
            not made by ``interlace docs build`` (and ``force`` is not set).
    """
    out = out.resolve()
    root = root.resolve()
    holds = [p for p in (root, *((root / rel).resolve() for rel in model_paths)) if p == out or out in p.parents]
    if holds:
        raise InvalidOptionError(
            f"the docs output directory {out} holds the project's {'directory' if holds[0] == root else 'models'} "
            f"({holds[0]}); a build replaces everything in its output directory",
            hint="choose a directory of its own for --out (the default is site/ in the project); "
                 "--force does not override this")
    for rel in model_paths:
        models = (root / rel).resolve()
        if out == models or models in out.parents:
            raise InvalidOptionError(
                f"the docs output directory {out} is inside the model path '{rel}/' of {root}: "
                "its files would be read as models",
                hint="choose another --out (the default is site/ in the project), "
                     "or pass --force to build there anyway")
    if out.exists() and not out.is_dir():
        raise InvalidOptionError(f"the docs output {out} is a file, not a directory",
                                 hint="choose another --out, or remove the file")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file() and not force:
        raise InvalidOptionError(
            f"the docs output directory {out} is not empty and was not made by `interlace docs build` "
            f"(it has no {MARKER} file); building would delete what is in it",
            hint="choose an empty or new --out, or pass --force to replace its contents")
    if out.is_dir() and (force or (out / MARKER).is_file()):
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by `interlace docs build`; the next build replaces this directory\n")
    return out
