"""Outbound webhook: committed events POSTed as a JSON array, signed with HMAC-SHA256.

The adapter is a durable consumer of its stream (``webhook:<url>``): a batch is acknowledged once
the endpoint answered 2xx; a failure is retried with exponential backoff up to ``max_attempts``,
after which the batch is dead-lettered (``interlace.stream_dead_letters``) and the stream moves
on. Headers: ``X-Interlace-Signature: sha256=<hex of HMAC(secret, timestamp + "." + body)>``,
``X-Interlace-Timestamp``, ``X-Interlace-Stream``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from interlace.errors import ConfigError
from interlace.streams.adapters.base import PollingAdapter
from interlace.streams.config import WebhookConfig

if TYPE_CHECKING:
    from interlace.streams.manager import Streams

__all__ = ["WebhookAdapter", "sign"]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookAdapter(PollingAdapter):
    interval = 0.5

    def __init__(self, streams: Streams, stream: str, conf: WebhookConfig) -> None:
        super().__init__()
        secret = os.environ.get(conf.secret_env)
        if not secret:
            raise ConfigError(f"stream '{stream}': webhook {conf.url} needs its secret in the "
                              f"environment variable {conf.secret_env}, which is not set",
                              origin=f"streams.{stream}.webhooks",
                              hint=f"export {conf.secret_env}=<shared secret> before serving")
        self.name = f"webhook:{conf.url}"
        self.consumer = f"webhook:{conf.url}"
        self.streams, self.stream, self.conf, self._secret = streams, stream, conf, secret
        self.delivered = 0
        self.dead = 0

    def step(self) -> bool:
        events = self.streams.consume(self.stream, self.consumer, self.conf.batch_size)
        if not events:
            return False
        body = json.dumps(events, default=str).encode()
        error = None
        for attempt in range(self.conf.max_attempts):
            if self._stop.is_set():
                return False  # not acknowledged: delivered again after the restart
            error = self._post(body)
            if error is None:
                break
            self._stop.wait(self.conf.backoff * 2 ** attempt)
        if error is not None:
            self.streams.state.dead_letter(
                self.stream, self.consumer, events,
                f"webhook {self.conf.url} failed {self.conf.max_attempts} times: {error}")
            self.dead += len(events)
        else:
            self.delivered += len(events)
        self.streams.ack(self.stream, self.consumer, events[-1]["_offset"])
        return True

    def _post(self, body: bytes) -> str | None:
        stamp = str(int(time.time()))
        request = urllib.request.Request(self.conf.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Interlace-Stream": self.stream,
            "X-Interlace-Timestamp": stamp, "X-Interlace-Signature": sign(self._secret, stamp, body),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.conf.timeout) as reply:  # noqa: S310
                status: Any = reply.status
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            return str(getattr(exc, "reason", exc))
        return None if 200 <= int(status) < 300 else f"HTTP {status}"
