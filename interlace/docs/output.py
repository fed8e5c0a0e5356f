"""The site's output directory: refuse places where writing would destroy something, mark ours.

A directory we built holds :data:`MARKER`. Building into a non-empty directory without it, or into
the project's model paths (the site's files would be discovered as models), is refused unless the
caller forces it. A rebuild writes every page again over the previous site and then removes the
files it did not write (a deleted model loses its page) — unlinking thousands of files first would
cost more than writing them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from interlace.errors import InvalidOptionError

__all__ = ["MARKER", "SiteFiles", "prepare_output"]

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
        if models in out.parents and not force:  # the model path itself is refused above
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
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by `interlace docs build`; the next build replaces this directory\n")
    return out


def _behind_link(path: Path, out: Path) -> bool:
    """Whether ``path`` was reached through a symlinked folder (never delete outside ``out``)."""
    parts = path.relative_to(out).parts
    return any(out.joinpath(*parts[:i]).is_symlink() for i in range(1, len(parts)))


class SiteFiles:
    """The files of one build: what was there before, what this build wrote; :meth:`finish` removes
    the rest."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.before = {p for p in out.rglob("*") if (p.is_file() or p.is_symlink()) and not _behind_link(p, out)}
        self.written: set[Path] = {out / MARKER}

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.written.add(path)

    def copy_tree(self, source: Path, target: Path) -> None:
        shutil.copytree(source, target, dirs_exist_ok=True)
        self.written.update(target / p.relative_to(source) for p in source.rglob("*") if p.is_file())

    def finish(self) -> list[Path]:
        """Remove what this build did not write (and folders left empty); returns the files kept."""
        for stale in self.before - self.written:
            stale.unlink(missing_ok=True)
        folders = [p for p in self.out.rglob("*") if p.is_dir() and not p.is_symlink() and not _behind_link(p, self.out)]
        for folder in sorted(folders, key=lambda p: -len(p.parts)):
            if not any(folder.iterdir()):
                folder.rmdir()
        return sorted(self.written)
