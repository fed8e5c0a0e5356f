"""Failure notifications: a webhook POST signed with HMAC-SHA256, retried with backoff.

The body is JSON (``event``, ``schedule``, ``scheduled_at``, ``run_id``, ``attempts``, ``error``,
``dead_letter_id``, ``link``). With ``secret_env`` set, the header
``X-Interlace-Signature: sha256=<hex>`` is the HMAC-SHA256 of the exact body bytes under the
secret read from that environment variable, and ``X-Interlace-Timestamp`` the time it was signed;
the receiver recomputes it to trust the call. A failed POST (a network error or a status other
than 2xx) is retried up to ``max_attempts`` times, the delays doubling from ``initial_delay``.
The secret is never logged and never part of any message.

Sending happens on a daemon thread so a slow receiver never holds up the scheduler.

Core: imports no face library (urllib only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from interlace.retry import Clock, RetryPolicy

if TYPE_CHECKING:
    from interlace.config import WebhookConfig
    from interlace.fires import Fire
    from interlace.schedules import ScheduleDef
    from interlace.workspace import Workspace

__all__ = ["SIGNATURE_HEADER", "Webhook", "sign"]

log = logging.getLogger("interlace.notify")
SIGNATURE_HEADER = "X-Interlace-Signature"
TIMESTAMP_HEADER = "X-Interlace-Timestamp"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook:
    """POSTs notifications to one URL (``send`` returns at once; ``drain`` waits for them)."""

    def __init__(self, config: WebhookConfig, *, clock: Clock | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.url, self._config = config.url, config
        env = os.environ if environ is None else environ
        self._secret = env.get(config.secret_env) if config.secret_env else None
        if config.secret_env and not self._secret:
            log.warning("notifications.webhook.secret_env names %s, which is not set: webhook calls "
                        "are sent unsigned", config.secret_env)
        self._policy = RetryPolicy(max_attempts=config.max_attempts, initial_delay=config.initial_delay,
                                   max_delay=max(config.initial_delay * 16, config.initial_delay),
                                   jitter=False)
        self._clock = clock or Clock()
        self._threads: list[threading.Thread] = []
        self.delivered: list[int] = []  # attempts each delivered notification took (for status/tests)
        self.failed = 0

    def send(self, payload: dict[str, Any], *, on_done: Callable[[bool], None] | None = None) -> None:
        thread = threading.Thread(target=self._deliver, args=(payload, on_done), daemon=True,
                                  name="interlace-webhook")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def drain(self, timeout: float = 30.0) -> None:
        for thread in list(self._threads):
            thread.join(timeout)

    def _deliver(self, payload: dict[str, Any], on_done: Callable[[bool], None] | None) -> None:
        body = json.dumps(payload, default=str, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "interlace-webhook",
                   TIMESTAMP_HEADER: datetime.now(UTC).isoformat()}
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        attempt = 1
        while True:
            problem = self._post(body, headers)
            if problem is None:
                self.delivered.append(attempt)
                break
            if attempt >= self._policy.max_attempts:
                self.failed += 1
                log.error("webhook %s failed %d times, giving up: %s", self.url, attempt, problem)
                break
            delay = self._policy.delay(attempt)
            log.warning("webhook %s failed (attempt %d of %d): %s; retrying in %gs", self.url, attempt,
                        self._policy.max_attempts, problem, delay)
            self._clock.sleep(delay)
            attempt += 1
        if on_done is not None:
            on_done(problem is None)

    def _post(self, body: bytes, headers: dict[str, str]) -> str | None:
        """None when the receiver took it (2xx), else what went wrong."""
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._config.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        return None if 200 <= status < 300 else f"HTTP {status}"


def webhook_of(config: Any, clock: Clock | None = None) -> Webhook | None:
    """The configured webhook (``notifications.webhook``), or None."""
    webhook = config.notifications.webhook
    return Webhook(webhook, clock=clock) if webhook is not None else None


def schedule_failed(ws: Workspace, definition: ScheduleDef, fire: Fire, letter: int) -> dict[str, Any]:
    """The notification of a schedule's fire that spent its attempts (now dead letter ``letter``)."""
    conf = ws.loaded.config
    hook = conf.notifications.webhook
    base = (hook.link if hook and hook.link else f"http://{conf.service.host}:{conf.service.port}")
    return {"event": "schedule.failed", "schedule": definition.name, "kind": definition.kind,
            "scheduled_at": fire.scheduled_at.isoformat(), "run_id": fire.run_id,
            "attempts": fire.attempt, "error": fire.error, "dead_letter_id": letter,
            "link": f"{base.rstrip('/')}/dashboard?view=schedules&schedule={definition.name}",
            "project": conf.name, "env": ws.env}
