"""The kernel side of the JupyterLab extension (interlace.magics.comm), spoken to as the page does:
a real ipykernel, `%load_ext interlace` opening the comm `interlace`, a page opening one to it,
the session's models after each cell, completions, a background run's events, and errors."""

from __future__ import annotations

import os
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

Message = dict[str, Any]


class Kernel:
    """A real kernel, and the comm messages it sends."""

    def __init__(self, cwd: Path) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd), env={**os.environ, "JPY_SESSION_NAME": str(cwd / "models.ipynb")})
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        self.seen: list[Message] = []

    def execute(self, code: str) -> None:
        reply = self.client.execute_interactive(code, timeout=60, output_hook=self._keep)
        assert reply["content"]["status"] == "ok", reply["content"]

    def _keep(self, msg: Message) -> None:
        self.seen.append(msg)

    def wait(self, predicate: Callable[[Message], bool], what: str, timeout: float = 60) -> Message:
        """The first iopub message (kept or new) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        for msg in self.seen:
            if predicate(msg):
                self.seen.remove(msg)
                return msg
        while time.monotonic() < deadline:
            try:
                msg = self.client.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if predicate(msg):
                return msg
            self.seen.append(msg)
        raise AssertionError(f"timed out waiting for {what}; got {[m['msg_type'] for m in self.seen]}")

    def comm_data(self, comm_id: str, predicate: Callable[[dict[str, Any]], bool], what: str,
                  timeout: float = 60) -> dict[str, Any]:
        msg = self.wait(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
                        and predicate(m["content"]["data"]), what, timeout)
        data: dict[str, Any] = msg["content"]["data"]
        return data

    def open_comm(self) -> str:
        comm_id = uuid.uuid4().hex
        self.client.shell_channel.send(self.client.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": "interlace", "data": {"version": 1}}))
        return comm_id

    def request(self, comm_id: str, request_id: int, op: str, **args: Any) -> dict[str, Any]:
        self.client.shell_channel.send(self.client.session.msg(
            "comm_msg", {"comm_id": comm_id, "data": {"id": request_id, "op": op, **args}}))
        return self.comm_data(comm_id, lambda d: d.get("reply_to") == request_id, f"the reply to {op}")

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    work = tmp_path / "work"
    work.mkdir()
    k = Kernel(work)
    try:
        yield k
    finally:
        k.close()


def test_the_kernel_tells_the_page_its_models_and_answers_it(kernel: Kernel) -> None:
    kernel.execute("%load_ext interlace")
    opened = kernel.wait(lambda m: m["msg_type"] == "comm_open", "the kernel to open the comm")
    assert opened["content"]["target_name"] == "interlace"
    ours = opened["content"]["comm_id"]
    assert kernel.comm_data(ours, lambda d: d["type"] == "models", "the first models") == {
        "type": "models", "models": []}  # the workspace is not open yet

    kernel.execute("%%interlace_model orders\nSELECT range AS order_id, range * 2 AS amount FROM range(5)")
    kernel.execute("%%interlace_model totals --no-run\nSELECT sum(amount) AS total FROM orders")
    models = kernel.comm_data(ours, lambda d: d["type"] == "models" and len(d["models"]) == 2, "two models")
    orders, totals = models["models"]
    assert (orders["name"], orders["kind"], orders["materialize"], orders["status"]) == (
        "orders", "sql", "table", "fresh")
    assert orders["origin"] == f"models.ipynb, cell {orders['cell']}, line 1" and orders["file"] is None
    assert totals["cell"] == orders["cell"] + 1 and orders["cell_ids"] == []  # no cell ids outside a notebook
    assert orders["last_build"] is not None and totals["last_build"] is None
    assert (totals["status"], totals["upstream"]) == ("stale", ["orders"])

    # a page opened later connects through the target the extension registered
    page = kernel.open_comm()
    assert [m["name"] for m in kernel.comm_data(page, lambda d: d["type"] == "models", "models")["models"]] == [
        "orders", "totals"]
    completion = kernel.request(page, 1, "complete", code="%%interlace_model p\nSELECT * FROM orders o WHERE o.",
                                cursor=51)
    assert completion == {"type": "reply", "reply_to": 1, "ok": True, "data": {"start": 51, "end": 51, "items": [
        {"label": "order_id", "type": "column", "detail": "orders.order_id BIGINT"},
        {"label": "amount", "type": "column", "detail": "orders.amount BIGINT"}]}}

    # a run the page starts runs in the background; its events arrive with every model's status
    started = kernel.request(page, 2, "run", select="totals")
    assert started["ok"] and started["data"]["models"] == ["totals"]
    running = kernel.comm_data(page, lambda d: d["type"] == "event" and d["event"]["type"] == "model.started",
                               "totals to start")
    assert running["statuses"]["totals"] == "running"
    done = kernel.comm_data(page, lambda d: d["type"] == "event" and d["event"]["type"] == "model.finished",
                            "totals to finish")
    assert done["statuses"]["totals"] == "success" and done["event"]["model"] == "totals"
    kernel.comm_data(page, lambda d: d["type"] == "event" and d["event"]["type"] == "run.finished", "the run's end")
    after = kernel.request(page, 3, "models")["data"]
    assert {m["name"]: m["status"] for m in after} == {"orders": "fresh", "totals": "success"}
    assert all(m["last_build"] for m in after)


def test_bad_requests_are_answered_with_what_and_how_to_fix(kernel: Kernel) -> None:
    kernel.execute("%load_ext interlace")
    page = kernel.open_comm()
    assert kernel.request(page, 7, "frobnicate") == {
        "type": "reply", "reply_to": 7, "ok": False,
        "error": "the interlace kernel comm has no operation 'frobnicate' (operations: models, complete, run); "
                 "reload the page after upgrading interlace"}
    reply = kernel.request(page, 8, "run", select="nope")
    assert reply == {"type": "reply", "reply_to": 8, "ok": False,
                     "error": "no model named 'nope'.\nFix: run `interlace info` to list the models"}


def test_unloading_the_extension_closes_the_comms_and_the_target(kernel: Kernel) -> None:
    kernel.execute("%load_ext interlace")
    page = kernel.open_comm()
    kernel.comm_data(page, lambda d: d["type"] == "models", "the models")
    kernel.execute("%unload_ext interlace")
    closed = kernel.wait(lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == page,
                         "the kernel to close the page's comm")
    assert closed["content"]["comm_id"] == page
    again = kernel.open_comm()  # no target any more: the kernel refuses the comm
    kernel.wait(lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == again,
                "the kernel to refuse a comm to the unregistered target")
