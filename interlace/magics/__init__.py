"""The IPython extension: ``%load_ext interlace`` registers ``%interlace`` and ``%%interlace_model``.

Owns: the notebook session (the kernel's workspace, models declared by cells, error display)
and the magics, which stay thin: parse the line into an ``interlace.options`` value, call the
workspace, display a widget. Imported only by ``%load_ext interlace`` (never by the core);
the widgets and the SQL parser load when a command first needs them.
"""

from __future__ import annotations

from typing import Any

from interlace.errors import InterlaceError, RunCancelled

__all__ = ["give_empty_model_cells_a_body", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics, the cell hooks and the error display on ``ipython``."""
    from interlace.magics.comm import register_comms
    from interlace.magics.commands import InterlaceMagics
    from interlace.magics.session import Session

    existing = ipython.magics_manager.registry.get("InterlaceMagics")
    if existing is not None:  # loaded twice: keep the session (and its workspace)
        return
    session = Session(ipython)
    ipython.register_magics(InterlaceMagics(ipython, session))
    ipython.events.register("pre_run_cell", session.pre_run_cell)
    ipython.events.register("post_run_cell", session.post_run_cell)
    ipython.input_transformers_cleanup.append(give_empty_model_cells_a_body)
    ipython.set_custom_exc((InterlaceError, RunCancelled), session.show_error)
    register_comms(ipython, session)  # the JupyterLab extension's comm (interlace.magics.comm)


def unload_ipython_extension(ipython: Any) -> None:
    """Close the session's workspace and remove the hooks (``%unload_ext interlace``)."""
    from interlace.magics.comm import unregister_comms

    magics = ipython.magics_manager.registry.pop("InterlaceMagics", None)
    if magics is None:
        return
    session = magics.session
    unregister_comms(ipython, session)
    ipython.events.unregister("pre_run_cell", session.pre_run_cell)
    ipython.events.unregister("post_run_cell", session.post_run_cell)
    if give_empty_model_cells_a_body in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(give_empty_model_cells_a_body)
    ipython.set_custom_exc((), None)
    for kind in ("line", "cell"):
        for name, owner in list(ipython.magics_manager.magics[kind].items()):
            if getattr(owner, "__self__", None) is magics:
                del ipython.magics_manager.magics[kind][name]
    session.close()


def give_empty_model_cells_a_body(lines: list[str]) -> list[str]:
    """An input transformer: a ``%%interlace_model`` cell with nothing below its line gets an empty
    body line, so the magic itself answers (``--help`` prints the help, a bare name says the model
    has no SQL) instead of IPython refusing a cell magic whose body is empty."""
    if lines and lines[0].startswith("%%interlace_model") and not "".join(lines[1:]).strip():
        return [lines[0] if lines[0].endswith("\n") else lines[0] + "\n", "\n"]
    return lines
