"""The asking side of the owner channel: a call, or a run whose events arrive as they happen.

Errors the owner raised come back as the same :class:`InterlaceError` (class, message, fix), so
the CLI prints them as if they had been raised here. An owner that cannot be reached or goes away
mid-answer is an :class:`OwnerError` that names it; :class:`OwnerGone` (a subclass) says it did not
even accept the connection, and is dead now, so the caller may do the work itself.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from interlace.engine.results import RunResult
from interlace.errors import OwnerError, error_from_dict
from interlace.events import Event, ModelFinished, ModelStarted, RunCancelling, event_from_dict
from interlace.owner import wire
from interlace.owner.file import TOKEN_HEADER, Owner

__all__ = ["OwnerClient", "OwnerGone"]


class OwnerGone(OwnerError):
    """The owner refused the connection and its process has ended: nobody holds the warehouse."""


class OwnerClient:
    """Sends work to ``owner`` with its ``token``."""

    def __init__(self, owner: Owner, token: str) -> None:
        self.owner = owner
        self._token = token
        parts = urlsplit(owner.address)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80

    def call(self, name: str, env: str, args: dict[str, Any]) -> Any:
        """The owner's answer to call ``name`` (see :data:`interlace.owner.calls.CALLS`)."""
        body = self._request("POST", "/v1/call", {"name": name, "env": env, "args": args})
        return _unwrap(body, self.owner, name)

    def run(
        self,
        env: str,
        options: dict[str, Any],
        *,
        on_event: Callable[[Event], None] | None = None,
        trigger: str = "cli",
    ) -> RunResult:
        """Run on the owner; ``on_event`` gets each event of the run as it happens. Ctrl-C asks the
        owner to cancel the run and waits for the cancelled result; a second Ctrl-C abandons it."""
        connection, response = self._open(
            "POST", "/v1/run", {"env": env, "options": options, "trigger": trigger}
        )
        follow = _Following(on_event)
        try:
            while True:
                try:
                    line = response.readline()
                    if not line:
                        raise self._went_away(
                            "run", "the connection closed before the run's result"
                        )
                    item = wire.loads(line)
                    if "error" in item:
                        raise error_from_dict(item["error"])
                    if "result" in item:
                        return RunResult.from_dict(item["result"])
                    follow(event_from_dict(item["event"]))
                except KeyboardInterrupt:
                    if follow.interrupted or follow.run_id is None:
                        raise
                    self.cancel(follow.run_id)
                    follow.cancelling()  # said as a run in this process says it
                except OSError as exc:
                    raise self._went_away("run", f"the connection broke: {exc}") from None
        finally:
            connection.close()

    def cancel(self, run_id: str) -> bool:
        return bool(
            _unwrap(self._request("POST", "/v1/cancel", {"run_id": run_id}), self.owner, "cancel")
        )

    # -- transport ---------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: dict[str, Any]) -> Any:
        connection, response = self._open(method, path, body)
        try:
            raw = response.read()
        except OSError as exc:
            raise self._went_away(path, f"the connection broke: {exc}") from None
        finally:
            connection.close()
        try:
            return wire.loads(raw)
        except ValueError:
            raise self._went_away(path, f"the answer was cut short ({len(raw)} bytes)") from None

    def _open(self, method: str, path: str, body: dict[str, Any]) -> tuple[Any, Any]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=None)
        raw = wire.dumps(body)
        try:
            connection.request(
                method,
                path,
                body=raw,
                headers={
                    TOKEN_HEADER: self._token,
                    "Content-Type": "application/json",
                    "Content-Length": str(len(raw)),
                },
            )
            response = connection.getresponse()
        except ConnectionRefusedError:
            connection.close()
            if not self.owner.is_alive():
                raise OwnerGone(
                    f"{self.owner.describe()} has stopped", hint="run the command again"
                ) from None
            raise OwnerError(
                f"{self.owner.describe()} holds the warehouse but refuses connections on "
                f"{self.owner.address}",
                hint=f"restart it (`kill {self.owner.pid}`, then start it again), or pass "
                "--no-forward to see the lock error",
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise self._went_away(path, f"it did not answer: {exc}") from None
        if response.status == 401:
            connection.close()
            raise OwnerError(
                f"{self.owner.describe()} refused the owner token",
                hint="the token file does not match the running owner: restart the owner",
            )
        return connection, response

    def _went_away(self, what: str, why: str) -> OwnerError:
        return OwnerError(
            f"{self.owner.describe()} went away during "
            f"`{what.strip('/').removeprefix('v1/')}`: {why}",
            details="Each model the owner was building is one transaction: what it did not finish "
            "was rolled "
            "back, and the run is marked interrupted when the warehouse is opened next.",
            hint="run the command again (it runs in this process when no owner is left)",
        )


class _Following:
    """A forwarded run as its events tell it: its id and the models running now."""

    def __init__(self, on_event: Callable[[Event], None] | None) -> None:
        self.on_event = on_event
        self.run_id: str | None = None
        self.running: dict[str, None] = {}
        self.interrupted = False

    def __call__(self, event: Event) -> None:
        self.run_id = self.run_id or event.run_id
        if isinstance(event, ModelStarted) and event.model:
            self.running[event.model] = None
        elif isinstance(event, ModelFinished) and event.model:
            self.running.pop(event.model, None)
        if self.on_event is not None:
            self.on_event(event)

    def cancelling(self) -> None:
        self.interrupted = True
        if self.on_event is not None:
            self.on_event(
                RunCancelling(run_id=self.run_id, waiting_for=tuple(sorted(self.running)))
            )


def _unwrap(body: Any, owner: Owner, what: str) -> Any:
    if not isinstance(body, dict) or ("result" not in body and "error" not in body):
        raise OwnerError(
            f"{owner.describe()} answered `{what}` with something else than an answer",
            hint="the CLI and the owner are different interlace versions: restart the owner",
        )
    if "error" in body:
        raise error_from_dict(body["error"])
    return body["result"]
