"""Run a notebook with papermill: typed parameters, the workspace injected, the result archived.

The executed notebook is written under ``.interlace/runs/<run_id>/`` (and to ``output`` when
given); the run is recorded in ``notebook_runs`` through the :class:`Workspace`. The kernel gets
``INTERLACE_PROJECT_DIR`` and ``INTERLACE_ENV``, so ``interlace.open()`` and ``%load_ext
interlace`` inside it open the same project in the same environment.

DuckDB lets one process at a time write the warehouse: when the caller does not hold a workspace
(``interlace notebook run``), it is opened only to check and record, and closed while the
notebook executes, so the kernel can open it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.errors import NotebookError
from interlace.runner.parameters import declared_parameters, typed_parameters
from interlace.schedules import notebook_path

if TYPE_CHECKING:
    from interlace.schedules import ScheduleDef
    from interlace.state.scheduling import NotebookRunRecord
    from interlace.workspace import Workspace

__all__ = ["DEFAULT_KERNEL", "NotebookRequest", "run_notebook", "run_scheduled"]

DEFAULT_KERNEL = "interlace"
_ENV_LOCK = threading.Lock()  # the kernel inherits os.environ: one notebook start at a time sets it


@dataclass(frozen=True, slots=True)
class NotebookRequest:
    """What to run: a notebook of the project, its parameters (text or typed), and limits."""

    notebook: str
    parameters: Mapping[str, Any]
    output: str | None = None
    timeout: float | None = None  # seconds for the whole notebook
    kernel: str = DEFAULT_KERNEL
    trigger: str = "cli"


@dataclass(frozen=True, slots=True)
class _Prepared:
    run_id: str
    source: Path
    relative: str
    parameters: dict[str, Any]
    archive: Path


def run_notebook(request: NotebookRequest, *, workspace: Workspace | None = None,
                 open_workspace: Callable[[], Workspace] | None = None) -> NotebookRunRecord:
    """Check, execute and record one notebook run; returns its record (status ``success``,
    ``failed``, ``timeout`` or ``dead_kernel``). Bad input raises :class:`NotebookError` first.

    Pass ``workspace`` when the caller keeps the warehouse open (the server's scheduler), or
    ``open_workspace`` to open it only around the checks and the records.
    """
    if (workspace is None) == (open_workspace is None):
        raise ValueError("pass exactly one of workspace= or open_workspace=")
    with _using(workspace, open_workspace) as ws:
        prepared = _prepare(ws, request)
        root, env = ws.root, ws.env
        ws.begin_notebook_run(prepared.run_id, notebook=prepared.relative, parameters=prepared.parameters,
                              trigger=request.trigger, kernel=request.kernel, output_path=str(prepared.archive))
    started = time.monotonic()
    try:
        outcome = _execute(prepared, request, root=root, env=env)
    except BaseException:
        with _using(workspace, open_workspace) as ws:
            ws.end_notebook_run(prepared.run_id, status="interrupted", duration_ms=_ms(started),
                                error="the notebook run was interrupted", failed_cell=None)
        raise
    if request.output:
        target = Path(request.output)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(prepared.archive, target)
    with _using(workspace, open_workspace) as ws:
        return ws.end_notebook_run(prepared.run_id, status=outcome[0], duration_ms=_ms(started),
                                   error=outcome[1], failed_cell=outcome[2])


@contextlib.contextmanager
def _using(workspace: Workspace | None, open_workspace: Callable[[], Workspace] | None) -> Iterator[Workspace]:
    if workspace is not None:
        yield workspace
        return
    assert open_workspace is not None
    ws = open_workspace()
    try:
        yield ws
    finally:
        ws.close()


def _prepare(ws: Workspace, request: NotebookRequest) -> _Prepared:
    import nbformat

    source = notebook_path(ws.root, request.notebook, key="notebook")
    relative = source.relative_to(ws.root).as_posix()
    _check_kernel(request.kernel)
    notebook = nbformat.read(source, as_version=4)
    parameters = typed_parameters(relative, declared_parameters(source, notebook), request.parameters)
    if request.timeout is not None and request.timeout <= 0:
        raise NotebookError(f"--timeout must be a positive number of seconds (got {request.timeout:g})",
                            origin=relative, hint="pass --timeout 600 for ten minutes, or leave it out")
    run_id = uuid.uuid4().hex[:12]
    archive = ws.root / ".interlace" / "runs" / run_id / source.name
    archive.parent.mkdir(parents=True, exist_ok=True)
    return _Prepared(run_id, source, relative, parameters, archive)


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        found = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise NotebookError(
            f"no Jupyter kernel named '{name}' is installed (installed kernels: {found})",
            origin="--kernel",
            hint="register this environment's kernel: python -m ipykernel install --sys-prefix --name "
            f"{name} (make .venv/.installed-stamp does it), or pass --kernel with an installed one") from None


def _execute(prepared: _Prepared, request: NotebookRequest, *, root: Path,
             env: str) -> tuple[str, str | None, dict[str, Any] | None]:
    """(status, error, failed cell) of executing the notebook with papermill."""
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    deadline = time.monotonic() + request.timeout if request.timeout else None
    running: list[Any] = []

    def timeout_for(cell: Any) -> int | None:  # nbclient asks before each cell: the time left
        running[:] = [cell]
        return None if deadline is None else max(1, int(deadline - time.monotonic() + 0.999))

    try:
        with _injected(root, env):
            papermill.execute_notebook(
                str(prepared.source), str(prepared.archive), parameters=prepared.parameters,
                kernel_name=request.kernel, cwd=str(prepared.source.parent), progress_bar=False,
                log_output=False, timeout_func=timeout_for)
    except PapermillExecutionError as exc:
        cell = _cell_facts(prepared.archive, _raised)
        cell.update(ename=exc.ename, evalue=exc.evalue)
        return "failed", (f"cell {cell['number']} (id {cell['id']}, `{cell['first_line']}`) raised "
                          f"{exc.ename}: {exc.evalue}"), cell
    except CellTimeoutError:
        cell = _cell_facts(prepared.archive, _same(running))
        return "timeout", (f"the notebook did not finish within its timeout of {request.timeout:g}s "
                           f"(cell {cell['number']}, id {cell['id']}, `{cell['first_line']}` was running)"), cell
    except DeadKernelError as exc:
        cell = _cell_facts(prepared.archive, _same(running))
        return "dead_kernel", f"the kernel died while cell {cell['number']} (id {cell['id']}) ran: {exc}", cell
    except NoSuchKernel:
        _check_kernel(request.kernel)
        raise
    return "success", None, None


@contextlib.contextmanager
def _injected(root: Path, env: str) -> Iterator[None]:
    values = {"INTERLACE_PROJECT_DIR": str(root), "INTERLACE_ENV": env}
    with _ENV_LOCK:
        before = {k: os.environ.get(k) for k in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _cell_facts(archive: Path, is_it: Callable[[Any], bool]) -> dict[str, Any]:
    """Number (1-based, as in the source notebook: papermill's injected-parameters and error
    marker cells are not counted), id and first line of the first executed cell ``is_it`` picks."""
    import nbformat

    facts: dict[str, Any] = {"number": None, "id": None, "first_line": ""}
    if not archive.is_file():
        return facts
    number = 0
    for cell in nbformat.read(archive, as_version=4).cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        number += 1
        if is_it(cell):
            lines = cell.get("source", "").strip().splitlines()
            return {"number": number, "id": cell.get("id"), "first_line": lines[0] if lines else ""}
    return facts


def _raised(cell: Any) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _same(running: list[Any]) -> Callable[[Any], bool]:
    wanted = running[0].get("id") if running else None
    return lambda cell: wanted is not None and cell.get("id") == wanted


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def run_scheduled(workspace: Workspace, definition: ScheduleDef, trigger: str) -> NotebookRunRecord:
    """The scheduler's notebook runner: one fire of a notebook schedule, in ``workspace``."""
    return run_notebook(NotebookRequest(definition.notebook or "", dict(definition.parameters),
                                        timeout=definition.timeout, trigger=trigger), workspace=workspace)
