"""The kernel side of the JupyterLab extension (``extension/``): one comm, target ``interlace``.

``%load_ext interlace`` registers the target (a page opened later connects through it) and opens
a comm to the page (an open page connects at once). Over it:

- kernel → page: ``{"type": "models", "models": [...]}`` after every cell, the session's models
  with kind, materialization, origin (file and line, or notebook cell and the cell's id), status
  and last build; ``{"type": "event", "event": {...}, "statuses": {...}}`` for each run event
  (the events the DAG widget follows), with every model's status after it.
- page → kernel: ``{"id": N, "op": OP, ...}``, answered by ``{"type": "reply", "reply_to": N,
  "ok": true, "data": ...}`` or ``{"ok": false, "error": "<what, where, fix>"}``. Ops: ``models``;
  ``complete`` (``code``, ``cursor``: model, table and column names, ``interlace.completions``);
  ``run`` (``select``: a selector such as ``name`` or ``+name``, run in the background so the
  kernel stays free; its events arrive as above).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from interlace.errors import InterlaceError
from interlace.events import RunView, fold

if TYPE_CHECKING:
    from interlace.magics.session import Session
    from interlace.workspace import Workspace

__all__ = ["TARGET", "CommHub", "register_comms", "unregister_comms"]

TARGET = "interlace"


class CommHub:
    """The comms of one kernel's session, and what they are told."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.comms: list[Any] = []
        self.view = RunView()  # every model's status as the run events tell it
        self._lock = threading.Lock()
        self._followed: Workspace | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._events = 0  # run events seen
        self._sent: tuple[Any, ...] | None = None  # what the models last sent were of

    # -- comms -----------------------------------------------------------------------------------
    def attach(self, comm: Any, _msg: Any = None) -> None:
        """Serve ``comm`` (the page opened it, or :meth:`open` did)."""
        comm.on_msg(self.receive)
        comm.on_close(lambda _msg: self.comms.remove(comm) if comm in self.comms else None)
        self.comms.append(comm)
        self.send({"type": "models", "models": self.models()}, comm)

    def open(self) -> None:
        """Open a comm to the page (nothing happens without a page listening)."""
        from comm import create_comm

        self.attach(create_comm(target_name=TARGET, data={"version": 1}))

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for comm in list(self.comms):
            comm.close()
        self.comms.clear()

    def send(self, data: dict[str, Any], comm: Any = None) -> None:
        for target in [comm] if comm is not None else list(self.comms):
            target.send(data)

    def receive(self, msg: dict[str, Any]) -> None:
        data = msg["content"]["data"]
        op = OPS.get(data.get("op"))
        reply: dict[str, Any] = {"type": "reply", "reply_to": data.get("id")}
        if op is None:
            reply |= {"ok": False, "error": f"the interlace kernel comm has no operation {data.get('op')!r} "
                      f"(operations: {', '.join(OPS)}); reload the page after upgrading interlace"}
        else:
            try:
                reply |= {"ok": True, "data": op(self, data)}
            except InterlaceError as exc:
                reply |= {"ok": False, "error": str(exc)}
        self.send(reply)

    # -- what the page is told -------------------------------------------------------------------
    def post_run_cell(self, _result: Any) -> None:
        """After a cell that changed the models (declared one, ran, re-read the project): follow
        the (maybe new) workspace's events and send the models. Other cells cost nothing."""
        workspace = self.session.opened
        if not self.comms or workspace is None:
            return
        key = (id(workspace), id(workspace.project), self._events,
               tuple((name, id(spec)) for name, spec in self.session.declared.items()))
        if key == self._sent:
            return
        self._sent = key
        self.follow()
        self.send({"type": "models", "models": self.models()})

    def follow(self) -> None:
        workspace = self.session.opened
        if workspace is None or workspace is self._followed:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._followed = workspace
        self._unsubscribe = workspace.events.subscribe(self.on_event)

    def on_event(self, event: Any) -> None:
        data = event.to_dict()
        with self._lock:
            self.view = fold(self.view, data)
            statuses = dict(self.view.statuses)
            self._events += 1
        self.send({"type": "event", "event": data, "statuses": statuses})

    def models(self) -> list[dict[str, Any]]:
        """The session's models as the sidebar lists them (none before the workspace opens)."""
        workspace = self.session.opened
        if workspace is None:
            return []
        models = workspace.models
        try:
            planned = self.session.statuses()
        except InterlaceError:  # the graph does not resolve yet: the next run says why
            planned = {}
        catalog = workspace.catalog()
        cells = self.session.declaring_cells()
        with self._lock:
            known, info = dict(self.view.statuses), dict(self.view.info)
        out = []
        for name, spec in sorted(models.items()):
            built = catalog.get(name)
            origin = spec.origin
            out.append({
                "name": name, "kind": spec.kind, "materialize": spec.materialize, "strategy": spec.strategy,
                "origin": str(origin), "path": origin.path, "line": origin.line, "cell": origin.cell,
                "file": os.path.abspath(workspace.root / origin.path) if origin.cell is None else None,
                "cell_ids": cells.get(name, []), "description": spec.config.description or "",
                "upstream": list(spec.dependencies),
                "status": merged(known.get(name), planned.get(name)),
                "last_build": built.last_success_at.isoformat() if built and built.last_success_at else None,
                "last_run": info.get(name),
            })
        return out


def merged(previous: str | None, planned: str | None) -> str:
    """A model's status: what the plan says, except that a red model stays red until it is rebuilt
    and a green one stays green while it is up to date (as the DAG widget shows them)."""
    if (planned == "stale" and previous in ("failed", "cancelled")) or (planned == "fresh" and previous == "success"):
        return previous
    return planned or previous or "idle"


# -- operations (page → kernel) ------------------------------------------------------------------
def _models(hub: CommHub, _data: dict[str, Any]) -> list[dict[str, Any]]:
    hub.follow()
    return hub.models()


def _complete(hub: CommHub, data: dict[str, Any]) -> dict[str, Any]:
    from interlace.completions import complete, vocabulary

    code = str(data.get("code") or "")
    return complete(code, int(data.get("cursor") or 0), vocabulary(hub.session.workspace)).to_dict()


def _run(hub: CommHub, data: dict[str, Any]) -> dict[str, Any]:
    from interlace.options import RunOptions

    selector = str(data.get("select") or "").strip()
    workspace = hub.session.workspace
    hub.follow()
    plan = workspace.plan(RunOptions(select=(selector,) if selector else ()))
    handle = workspace.runs.start(plan, trigger="notebook:sidebar")
    return {"run_id": handle.run_id, "models": [s.model for s in plan.builds]}


OPS: dict[str, Callable[[CommHub, dict[str, Any]], Any]] = {
    "models": _models, "complete": _complete, "run": _run,
}


# -- registration (interlace.magics.load_ipython_extension) -------------------------------------------
def register_comms(ipython: Any, session: Session) -> None:
    """Serve the extension's comm in this kernel (a terminal IPython has no comms: nothing)."""
    if getattr(ipython, "kernel", None) is None:
        return
    from comm import get_comm_manager

    hub = CommHub(session)
    session.comms = hub
    get_comm_manager().register_target(TARGET, hub.attach)
    ipython.events.register("post_run_cell", hub.post_run_cell)
    hub.open()


def unregister_comms(ipython: Any, session: Session) -> None:
    hub = getattr(session, "comms", None)
    if hub is None:
        return
    from comm import get_comm_manager

    get_comm_manager().unregister_target(TARGET, hub.attach)
    ipython.events.unregister("post_run_cell", hub.post_run_cell)
    hub.close()
    session.comms = None
