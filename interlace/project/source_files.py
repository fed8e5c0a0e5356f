"""Read a project's text files defensively: size caps, UTF-8 only, no links out of the project.

Config and model files are user input. A binary or non-UTF-8 file, a 10 MB SQL file or a symlink
to ``/etc/passwd`` must end in a short error that names the file, never a traceback, a hang or
the linked file's contents in a message.
"""

from __future__ import annotations

from pathlib import Path

from interlace.errors import ConfigError, ModelDefinitionError, ProjectError
from interlace.origin import Origin, at_line

__all__ = ["MAX_CONFIG_BYTES", "MAX_MODEL_BYTES", "MAX_SQL_NESTING", "check_inside", "check_nesting",
           "read_config_text", "read_text"]

MAX_CONFIG_BYTES = 1 << 20   # 1 MiB: a config file is a page of settings
MAX_MODEL_BYTES = 512 << 10  # 512 KiB: sqlglot takes ~8 s per MiB (and ~250 MB); larger SQL is generated data
MAX_SQL_NESTING = 256        # parentheses deep: sqlglot's parser recurses once per level


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size / 1024:.0f} KiB"


def check_inside(path: Path, root: Path, *, display: str, error: type[ProjectError] = ModelDefinitionError,
                 resolved_dirs: dict[Path, Path] | None = None) -> None:
    """Refuse ``path`` when it (a link, or a link in its parents) leads outside ``root``.

    ``resolved_dirs`` (one dict per discovery) remembers the resolved parent directories, so that
    a file that is not itself a link costs one ``lstat`` instead of resolving its whole path."""
    try:
        if resolved_dirs is not None and not path.is_symlink():
            parent = resolved_dirs.get(path.parent)
            if parent is None:
                parent = resolved_dirs[path.parent] = path.parent.resolve(strict=True)
            if root not in resolved_dirs:
                resolved_dirs[root] = root.resolve()
            resolved = parent / path.name
        else:
            resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a dangling link or a loop of links
        raise error(f"the file cannot be read: {getattr(exc, 'strerror', None) or exc}", origin=display,
                    hint="remove the broken link, or point it at a file inside the project") from None
    base = resolved_dirs[root] if resolved_dirs is not None and root in resolved_dirs else root.resolve()
    if not resolved.is_relative_to(base):
        raise error("the file is a link to a file outside the project directory", origin=display,
                    hint="copy the file into the project instead of linking to it "
                         "(interlace does not follow links out of the project)")


def read_text(path: Path, *, display: str, limit: int, error: type[ProjectError]) -> str:
    """The UTF-8 text of ``path``, refusing files over ``limit`` bytes and binary content."""
    size = path.stat().st_size
    if size > limit:
        raise error(f"the file is {_mib(size)}; interlace reads files of at most {_mib(limit)} here",
                    origin=display, hint="split the file, or read large data as a file input "
                                         "(read_parquet / read_csv) instead of inlining it")
    data = path.read_bytes()[: limit + 1]
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise error(f"the file is binary (a NUL byte at offset {offset}), not text", origin=display,
                    hint="remove the file from the project, or rename it so it does not end in "
                         f"'{path.suffix}'")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} "
                    f"(offset {exc.start}) cannot be decoded", origin=f"{display}:{line}",
                    hint="save the file as UTF-8") from None


def check_nesting(sql: str, *, display: str | Origin, first_line: int = 1, model: str | None = None) -> None:
    """Refuse SQL whose parentheses nest deeper than :data:`MAX_SQL_NESTING` (before parsing it)."""
    depth = line = 0
    quote: str | None = None
    for char in sql:
        if char == "\n":
            line += 1
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            if depth > MAX_SQL_NESTING:
                raise ModelDefinitionError(
                    f"the SQL nests parentheses more than {MAX_SQL_NESTING} deep", model=model,
                    origin=at_line(display, first_line + line),
                    hint="flatten the expression (use a CTE or a helper model for each level)")
        elif char == ")":
            depth = max(0, depth - 1)


def read_config_text(path: Path) -> str:
    return read_text(path, display=str(path), limit=MAX_CONFIG_BYTES, error=ConfigError)
