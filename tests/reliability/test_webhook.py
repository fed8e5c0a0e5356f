"""Failure notifications: a signed webhook POST to a real receiver on 127.0.0.1, retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import interlace
from interlace.config import WebhookConfig
from interlace.notify import Webhook, sign
from interlace.retry import FakeClock
from interlace.scheduler import Scheduler
from tests.conftest import write_files
from tests.reliability.receiver import Receiver

SECRET = "s3cr3t-for-the-hook"
T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def test_a_failed_fire_posts_a_signed_body_naming_schedule_run_error_and_link(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    caplog.set_level(logging.DEBUG)
    with Receiver(fail_first=2) as receiver:
        root = write_files(tmp_path / "p", {
            "config.yaml": f"name: p\nnotifications:\n  webhook:\n    url: {receiver.url}\n"
                           "    secret_env: HOOK_SECRET\n    initial_delay: 0.01\n"
                           "    link: https://interlace.example\n"
                           "schedules:\n  load:\n    selector: bad\n    every: 1m\n",
            "models/bad.sql": "SELECT * FROM missing_table",
        })
        with interlace.open(root) as ws:
            scheduler = Scheduler(ws, clock=lambda: T0 + timedelta(minutes=1))
            scheduler.load(T0)
            (fire,) = scheduler.tick(T0 + timedelta(minutes=1))
            scheduler.wait_idle()
            calls = receiver.wait_for(3)
            scheduler.webhook.drain()
            assert [status for *_, status in calls] == [500, 500, 204]  # retried until it was taken
            headers, body, _ = calls[-1]
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert headers["X-Interlace-Signature"] == expected == sign(SECRET, body)
            payload = json.loads(body)
            (letter,) = ws.dlq.list()
            assert payload["event"] == "schedule.failed" and payload["schedule"] == "load"
            assert payload["run_id"] == fire.run_id and payload["dead_letter_id"] == letter.id
            assert "missing_table" in payload["error"]
            assert payload["link"] == "https://interlace.example/dashboard?view=schedules&schedule=load"
            assert scheduler.status()["webhook"] == {"host": receiver.url.split("/")[2], "delivered": 1,
                                                     "failed": 0}
    assert "retrying in" in caplog.text  # the failed deliveries were logged ...
    assert SECRET not in caplog.text  # ... and the secret never is


def test_an_unreachable_receiver_is_given_up_after_max_attempts_with_backoff(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    hook = Webhook(WebhookConfig(url="http://127.0.0.1:9/nothing-listens", max_attempts=3, initial_delay=2,
                                 timeout=5), clock=clock)
    hook.send({"event": "schedule.failed"})
    hook.drain()
    assert clock.slept == [2, 4]
    assert hook.failed == 1 and hook.delivered == []
    assert "webhook http://127.0.0.1:9/nothing-listens failed 3 times, giving up" in caplog.text


def test_a_secret_env_that_is_not_set_sends_unsigned_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with Receiver() as receiver:
        hook = Webhook(WebhookConfig(url=receiver.url, secret_env="NOT_SET_ANYWHERE"), environ={})
        hook.send({"event": "x"})
        (call,) = receiver.wait_for(1)
        hook.drain()
    assert "X-Interlace-Signature" not in call[0]
    assert "secret_env names NOT_SET_ANYWHERE, which is not set: webhook calls are sent unsigned" in caplog.text
