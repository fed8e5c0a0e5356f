"""Find a project's models: ``*.sql``, ``*.py`` and ``*.ipynb`` files under the configured model paths."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from interlace.errors import ModelDefinitionError, ModelParseError, ProjectError
from interlace.project.decorators import collecting
from interlace.project.parse_cache import ParseCache
from interlace.project.source_files import MAX_MODEL_BYTES, check_inside, read_text
from interlace.project.spec import ModelSpec, Origin
from interlace.project.sql_header import parse_sql_models

__all__ = ["discover_models", "load_python_file", "model_files"]

_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".interlace"}


def model_files(root: Path, paths: list[str]) -> Iterator[Path]:
    """Model source files under ``root/paths``, in a stable order; hidden and ``_`` files skipped."""
    for rel in paths:
        base = root / rel
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            parts = path.relative_to(root).parts
            if any(p in _SKIP_DIRS or p.startswith((".", "_")) for p in parts):
                continue
            if path.suffix in (".sql", ".py", ".ipynb") and path.is_file():
                yield path


def discover_models(root: Path, paths: list[str],
                    broken: dict[str, ProjectError] | None = None) -> list[ModelSpec]:
    """Every model declared in the project's model files (duplicates are the caller's concern).

    With ``broken``, a file that fails to load is recorded there (by its project-relative path)
    and discovery goes on with the other files; without it, the first such error is raised.
    """
    specs: list[ModelSpec] = []
    cache = ParseCache(root)
    seen: set[str] = set()
    dirs: dict[Path, Path] = {}  # resolved directories, for check_inside
    for path in model_files(root, paths):
        rel = path.relative_to(root).as_posix()
        if broken is None:
            specs.extend(_load(path, rel, cache, seen, root, dirs))
            continue
        try:
            specs.extend(_load(path, rel, cache, seen, root, dirs))
        except ProjectError as exc:
            broken[rel] = exc
    cache.save(keep=seen)
    return specs


def _load(path: Path, rel: str, cache: ParseCache, seen: set[str], root: Path,
          dirs: dict[Path, Path]) -> list[ModelSpec]:
    """The models of one file (never one that links out of the project)."""
    check_inside(path, root, display=rel, resolved_dirs=dirs)
    if path.suffix == ".sql":
        seen.add(rel)
        text = read_text(path, display=rel, limit=MAX_MODEL_BYTES, error=ModelParseError)
        digest = cache.digest(text.encode())
        parsed = cache.get(rel, digest)
        if parsed is None:
            parsed = parse_sql_models(text, path=rel, stem=path.stem)
            cache.put(rel, digest, parsed)
        return list(parsed)
    if path.suffix == ".ipynb":
        # nbformat is imported only when a notebook exists
        from interlace.project.notebooks import load_notebook

        return load_notebook(path, display=rel)
    return load_python_file(path, display=rel)


def load_python_file(path: Path, *, display: str) -> list[ModelSpec]:
    """Execute a Python model file and return the ``@model`` specs it declared."""
    module_name = "interlace_models." + display.removesuffix(".py").replace("/", ".")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    with collecting() as collected:
        try:
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            raise ModelParseError(
                f"Python syntax error: {exc.msg}", origin=f"{display}:{exc.lineno}",
                details=f"  {(exc.text or '').rstrip()}", hint="fix the syntax at that line",
            ) from None
        except ModelDefinitionError:
            raise
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # sys.exit() in a model file is the model's error, not ours
            raise ModelDefinitionError(
                f"importing the file raised {type(exc).__name__}: {exc}",
                origin=_failing_line(exc, path, display),
                details=user_traceback(exc, path),
                hint="fix the error in the file (it runs when the project is loaded)",
            ) from None
    return [_relative(s, path, display) for s in collected]


def _relative(spec: ModelSpec, path: Path, display: str) -> ModelSpec:
    from dataclasses import replace

    if spec.origin.path == str(path):
        return replace(spec, origin=Origin(display, spec.origin.line))
    return spec


def user_traceback(exc: BaseException, path: Path | None = None) -> str:
    """The traceback frames of user code only (interlace's own frames left out)."""
    package = str(Path(__file__).resolve().parents[1])
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(package)
              and "importlib" not in f.filename]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def _failing_line(exc: BaseException, path: Path, display: str) -> str:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno
    return f"{display}:{line}" if line else display
