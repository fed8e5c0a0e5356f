"""Logs: run and model events as log records, text or JSON lines, with secrets redacted.

:class:`EventLog` writes each event of a workspace's bus to the ``interlace.events`` logger, with
``event``, ``run_id`` and ``model`` (and the event's counts) as record attributes. With
``logging: {format: json}`` in config.yaml, :func:`configure_logging` puts one handler on the root
logger whose :class:`JsonFormatter` writes one JSON object per line — interlace's records, the
server's (uvicorn) and any library's alike. Every line passes :class:`Redactor` first, which
replaces API keys (``ilk_<id>_<secret>``) and configured secret values, so a key never reaches a
log, whoever logged it.

Core: the standard library only.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO, Any

from interlace.events import Event, EventBus, ModelFailed, RunFailed

__all__ = ["EVENT_LOGGER", "EventLog", "JsonFormatter", "Redactor", "configure_logging"]

EVENT_LOGGER = "interlace.events"
_API_KEY = re.compile(r"\b(ilk_[A-Za-z0-9]+_)[A-Za-z0-9_-]{8,}")
REDACTED = "[redacted]"
# record attributes a JSON line carries besides the standard ones (set by EventLog, or by callers)
_FIELDS = ("event", "run_id", "model", "status", "trigger", "rows", "duration_ms", "materialize", "strategy",
           "check", "severity", "failing", "request_id")
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class Redactor(logging.Filter):
    """Rewrites a record's message so that no API key or given secret value survives in it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        text = _API_KEY.sub(lambda m: m.group(1) + REDACTED, text)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None  # every handler now shows the scrubbed text
        elif record.exc_text:
            record.exc_text = self.scrub(str(record.exc_text))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``timestamp`` (ISO 8601, UTC), ``level``, ``logger``,
    ``message``, the event fields present (``event``, ``run_id``, ``model``, ...) and
    ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        for key in _FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                line[key] = value
        for key, value in record.__dict__.items():  # extra= fields of other callers
            if key not in _STANDARD and key not in _FIELDS and not key.startswith("_"):
                line[key] = value
        if record.exc_text:
            line["exception"] = record.exc_text
        elif record.exc_info and record.exc_info[1] is not None:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_FORMATTERS: dict[str, Callable[[], logging.Formatter]] = {
    "json": JsonFormatter, "text": lambda: logging.Formatter(_TEXT_FORMAT)}


def configure_logging(format: str = "text", level: str = "INFO", *, secrets: Iterable[str] = (),  # noqa: A002
                      stream: IO[str] | None = None) -> logging.Handler:
    """Write log records to ``stream`` (default stderr) as ``format`` from ``level`` up.

    Replaces the handler an earlier call installed (one per process); returns the new handler.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_interlace", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._interlace = True  # type: ignore[attr-defined]
    handler.setFormatter(_FORMATTERS[format]())
    handler.addFilter(Redactor(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("interlace").setLevel(level)
    return handler


class EventLog:
    """Logs every event of a bus on ``interlace.events``: failures as warnings, the rest at INFO
    (``model.queued`` and ``check.finished`` that passed at DEBUG)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(EVENT_LOGGER)
        # Without any handler configured, Python would print warnings through its last-resort
        # handler (into every notebook cell); the events show there already, so stay quiet.
        if not any(isinstance(h, logging.NullHandler) for h in self.logger.handlers):
            self.logger.addHandler(logging.NullHandler())

    def attach(self, bus: EventBus) -> Callable[[], None]:
        return bus.subscribe(self.observe)

    def observe(self, event: Event) -> None:
        level = self._level(event)
        if not self.logger.isEnabledFor(level):
            return
        data = event.data
        extra = {"event": event.type, "run_id": event.run_id, "model": event.model,
                 **{k: data.get(k) for k in _FIELDS[3:] if data.get(k) is not None}}
        if event.type == "check.finished":
            extra["check"] = data.get("check")
        self.logger.log(level, _describe(event, data), extra=extra)

    @staticmethod
    def _level(event: Event) -> int:
        if isinstance(event, ModelFailed | RunFailed):
            return logging.WARNING
        if event.type == "model.queued" or (event.type == "check.finished" and event.data["status"] == "pass"):
            return logging.DEBUG
        return logging.INFO


def _describe(event: Event, data: dict[str, Any]) -> str:
    who = f"model {event.model}" if event.model else f"run {event.run_id}"
    kind = event.type.split(".")[1]
    if event.type == "run.started":
        return f"run {event.run_id} started ({data['total']} models, trigger {data['trigger']})"
    if event.type.startswith("run."):
        return (f"run {event.run_id} {kind}: {data['succeeded']} succeeded, {data['failed']} failed, "
                f"{data['skipped']} skipped in {data['duration_s']:.2f}s")
    if event.type in ("model.finished", "model.failed", "model.skipped"):
        error = (data.get("error") or {}).get("message")
        rows = f", {data['rows']} rows" if data.get("rows") is not None else ""
        took = f" in {data['duration_ms']:.0f} ms" if data.get("duration_ms") is not None else ""
        return f"{who} {data['status']}{rows}{took}" + (f": {error}" if error else "")
    if event.type == "check.finished":
        return f"{who}: check {data['check']} [{data['severity']}] {data['status']}"
    return f"{who} {kind}"
