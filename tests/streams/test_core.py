"""Streams in core: declarations, validation, schema evolution, idempotency, consume/ack."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

import interlace
from interlace.errors import DuplicateModelError, ModelDefinitionError, StateError
from interlace.retry import FakeClock
from interlace.streams import stream
from interlace.streams.manager import UnknownStreamError
from interlace.streams.writer import EventsRejected

Open = Callable[..., interlace.Workspace]


def test_schema_comes_from_the_first_payload_and_evolves(open_streams: Open) -> None:
    ws = open_streams()
    first = ws.publish("clicks", [{"url": "/a", "ms": 3}, {"url": "/b", "ms": 4.5, "meta": {"k": 1}}])
    assert (first.accepted, first.first_offset, first.last_offset) == (2, 1, 2)
    cols = ws.streams.writer.columns("clicks")
    assert cols["url"] == "VARCHAR" and cols["ms"] == "DOUBLE" and cols["meta"] == "JSON"
    assert list(cols)[:4] == ["_offset", "_event_id", "_received_at", "_source"]
    ws.publish("clicks", {"url": "/c", "new": True})
    rows = ws.sql("SELECT _offset, url, ms, new, _source FROM clicks ORDER BY _offset").fetchall()
    assert rows == [(1, "/a", 3.0, None, "python"), (2, "/b", 4.5, None, "python"),
                    (3, "/c", None, True, "python")]


def test_a_value_is_never_cast(open_streams: Open) -> None:
    ws = open_streams()
    ws.publish("clicks", {"url": "/a", "ms": 3})
    with pytest.raises(EventsRejected) as info:
        ws.publish("clicks", [{"url": "/b"}, {"url": 7}])
    assert "event 1: field 'url': expected VARCHAR, got BIGINT 7 (values are never cast)" in str(info.value)
    assert "no event of the request was stored" in str(info.value)
    assert ws.sql("SELECT count(*) FROM clicks").fetchall() == [(1,)]


def test_declared_fields_validate_each_event(open_streams: Open) -> None:
    ws = open_streams()
    ok = ws.publish("orders", {"id": 1, "amount": 2, "at": "2026-01-02T03:04:05+00:00", "tags": ["x"]})
    assert ok.accepted == 1
    cases = [
        ({"id": "1"}, "field 'id': expected BIGINT, got VARCHAR \"1\""),
        ({"id": 1, "at": "yesterday"}, "field 'at': 'yesterday' is not an ISO-8601 TIMESTAMPTZ"),
        ({"id": 1, "colour": "red"}, "field 'colour': not a declared field of stream 'orders'"),
        ({"amount": 1.0}, "field 'id': required, and missing or null"),
        ({"id": True}, "field 'id': expected BIGINT, got BOOLEAN true"),
        ({"id": 1, "_offset": 5}, "field '_offset': names starting with '_' are reserved"),
        ([1, 2], "field '': an event must be a JSON object"),
    ]
    for event, message in cases:
        with pytest.raises(EventsRejected) as info:
            ws.publish("orders", [event])
        assert message in str(info.value), (event, str(info.value))
    assert ws.sql("SELECT id, amount, tags FROM orders").fetchall() == [(1, 2.0, '["x"]')]


def test_invalid_events_are_dead_lettered_when_configured(open_streams: Open) -> None:
    ws = open_streams()
    result = ws.publish("lax", [{"id": 1}, {"id": "two", "_event_id": "e2"}, {"id": 3}])
    assert (result.accepted, result.dead_lettered) == (2, 1)
    assert ws.sql("SELECT id FROM lax ORDER BY id").fetchall() == [(1,), (3,)]
    [dead] = ws.streams.dead_letters("lax")
    assert dead.event_id == "e2" and dead.consumer is None
    assert "field 'id': expected BIGINT, got VARCHAR \"two\"" in dead.reason
    assert '"two"' in (dead.payload or "")


def test_strict_schema_mode_refuses_new_fields(open_streams: Open) -> None:
    ws = open_streams()
    ws.publish("strict_one", {"a": 1})
    with pytest.raises(EventsRejected, match="field 'b': a new field, and the stream's schema_mode is strict"):
        ws.publish("strict_one", {"a": 2, "b": 1})
    with pytest.raises(EventsRejected, match="field 'a': expected BIGINT, got DOUBLE 2.5"):
        ws.publish("strict_one", {"a": 2.5})


def test_event_ids_make_publishing_idempotent(open_streams: Open) -> None:
    ws = open_streams()
    first = ws.publish("clicks", [{"_event_id": "a", "url": "/1"}, {"_event_id": "b", "url": "/2"},
                                  {"_event_id": "a", "url": "/dup-in-request"}])
    assert (first.accepted, first.duplicates) == (2, 1)
    again = ws.publish("clicks", [{"_event_id": "b", "url": "/2"}, {"_event_id": 7, "url": "/3"}])
    assert (again.accepted, again.duplicates, again.first_offset) == (1, 1, 3)
    assert ws.sql("SELECT _event_id, url FROM clicks ORDER BY _offset").fetchall() == [
        ("a", "/1"), ("b", "/2"), ("7", "/3")]


def test_concurrent_publishes_share_commits(open_streams: Open) -> None:
    ws = open_streams()
    futures = [ws.streams.submit("clicks", [{"_event_id": f"{i}-{j}", "n": j} for j in range(5)])
               for i in range(200)]
    results = [f.result(60) for f in futures]
    assert sum(r.accepted for r in results) == 1000
    assert ws.sql("SELECT count(DISTINCT _event_id), count(DISTINCT _offset), max(_offset) "
                  "FROM clicks").fetchall() == [(1000, 1000, 1000)]
    assert ws.streams.writer.batches < 200  # queued requests were committed together


def test_streams_survive_a_reopen(open_streams: Open) -> None:
    ws = open_streams()
    ws.publish("clicks", {"_event_id": "x", "url": "/a"})
    ws.close()
    ws = open_streams()
    again = ws.publish("clicks", [{"_event_id": "x", "url": "/a"}, {"url": "/b"}])
    assert (again.accepted, again.duplicates, again.first_offset) == (1, 1, 2)


def test_unknown_stream_names_the_known_ones(open_streams: Open) -> None:
    ws = open_streams()
    with pytest.raises(UnknownStreamError) as info:
        ws.publish("clicsk", {"a": 1})
    text = str(info.value)
    assert "no stream named 'clicsk'" in text and "clicks" in text and "streams:" in text


def test_stream_keywords_are_validated() -> None:
    with pytest.raises(ModelDefinitionError, match="stream 'bad': fields: Value error, field 'x': "
                                                   "unknown type 'money'"):
        stream("bad", fields={"x": "money"})
    with pytest.raises(ModelDefinitionError, match="retention"):
        stream("bad", retention="forever")
    with pytest.raises(ModelDefinitionError, match="colour: Extra inputs are not permitted"):
        stream("bad", colour="red")
    with pytest.raises(ModelDefinitionError, match="required field\\(s\\) y are not in 'fields'"):
        stream("bad", fields={"x": "int"}, required=["y"])
    with pytest.raises(ModelDefinitionError, match="is not an identifier"):
        stream("no-dashes")


def test_streams_declared_in_model_files_and_clashes(open_streams: Open) -> None:
    ws = open_streams(config="name: p\n", files={"models/events.py": """
        from interlace import stream

        signups = stream("signups", fields={"email": "varchar"})


        @stream(retention="1d")
        def visits():
            '''Page visits.'''
    """})
    assert set(ws.streams.specs) == {"signups", "visits"}
    assert ws.streams.specs["visits"].config.description == "Page visits."
    assert ws.streams.specs["signups"].origin.startswith("models/events.py:")
    ws.publish("signups", {"email": "a@b"})
    assert ws.sql("SELECT email FROM signups").fetchall() == [("a@b",)]
    clash = open_streams(config="name: p\nstreams:\n  orders: {}\n",
                         files={"models/orders.sql": "SELECT 1 AS x\n"}, name="clash")
    with pytest.raises(DuplicateModelError, match="'orders' is both a stream .* and a model"):
        _ = clash.streams


def test_consume_ack_redelivery_and_poison(open_streams: Open) -> None:
    ws = open_streams()
    clock = FakeClock(datetime.now(UTC))  # visibility timeouts on a fake clock: load cannot move it
    ws.reliability.use_clock(clock)
    ws.publish("clicks", [{"url": f"/{i}"} for i in range(5)])
    s = ws.streams
    batch = s.consume("clicks", "billing", 3)
    assert [e["_offset"] for e in batch] == [1, 2, 3]
    assert [e["_offset"] for e in s.consume("clicks", "billing", 10)] == [4, 5]  # 1-3 in flight
    assert s.ack("clicks", "billing", 2) == 2
    with pytest.raises(StateError, match="cannot acknowledge offset 9: it was delivered events up to 5"):
        s.ack("clicks", "billing", 9)
    clock.advance(0.3)  # past the visibility timeout: unacknowledged events come back
    assert [e["_offset"] for e in s.consume("clicks", "billing", 10)] == [3, 4, 5]
    clock.advance(0.3)  # delivered twice (max_deliveries) without an ack: dead-lettered
    assert s.consume("clicks", "billing", 10) == []
    dead = s.dead_letters("clicks")
    assert sorted(d.offset for d in dead) == [3, 4, 5]
    assert all(d.consumer == "billing" and "after 2 deliveries" in d.reason for d in dead)
    assert s.ack("clicks", "billing", 5) == 5
    [record] = s.consumers("clicks")
    assert (record.acked_offset, record.lag, record.in_flight) == (5, 0, 0)
    other = s.consume("clicks", "audit", 100)  # another consumer reads everything on its own
    assert len(other) == 5
    s.replay("clicks", "billing", 4)
    assert [e["_offset"] for e in s.consume("clicks", "billing", 10)] == [4, 5]


def test_consumer_offsets_survive_a_restart(open_streams: Open) -> None:
    ws = open_streams()
    ws.publish("clicks", [{"url": f"/{i}"} for i in range(4)])
    ws.streams.consume("clicks", "c", 2)
    ws.streams.ack("clicks", "c", 2)
    ws.close()
    ws = open_streams()
    assert [e["_offset"] for e in ws.streams.consume("clicks", "c", 10)] == [3, 4]


def test_retention_keeps_unacknowledged_events(open_streams: Open) -> None:
    ws = open_streams(config="name: p\nstreams:\n  a: {retention: 1h}\n"
                             "  b: {retention: 1h, retention_unacked: delete}\n", files={})
    for name in ("a", "b"):
        ws.publish(name, [{"n": i} for i in range(4)])
        ws.streams.consume(name, "c", 2)
        ws.streams.ack(name, "c", 2)
    later = datetime.now(UTC) + timedelta(hours=2)
    assert ws.streams.enforce_retention(later) == {"a": 2, "b": 4}
    assert ws.sql("SELECT n FROM a ORDER BY n").fetchall() == [(2,), (3,)]
    assert ws.streams.enforce_retention(datetime.now(UTC)) == {}


def test_new_events_trigger_downstream_models_debounced(open_streams: Open) -> None:
    ws = open_streams()
    ws.streams.start(adapters=False)
    ws.publish("clicks", [{"url": "/a"}, {"url": "/a"}])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = [r for r in ws.state.runs(50) if r.trigger == "stream:clicks" and r.finished]
        if runs:
            break
        time.sleep(0.05)
    assert runs and runs[0].status == "success"
    assert ws.sql("SELECT url, n FROM click_counts").fetchall() == [("/a", 2)]
    assert ws.streams.downstream("clicks") == ("click_counts",)


def test_cursor_model_over_a_stream_reads_only_new_events(open_streams: Open) -> None:
    ws = open_streams(files={"models/seen.sql": """
        -- @model(materialize="table", strategy="append", cursor="_offset")
        SELECT _offset, url FROM clicks
    """})
    ws.publish("clicks", [{"url": "/a"}, {"url": "/b"}])
    ws.run("seen")
    ws.publish("clicks", [{"url": "/c"}])
    result = ws.run("seen")
    assert result.results["seen"].rows == 1
    assert ws.sql("SELECT _offset, url FROM seen ORDER BY 1").fetchall() == [
        (1, "/a"), (2, "/b"), (3, "/c")]


def test_the_scheduler_applies_retention(open_streams: Open) -> None:
    from interlace.scheduler import Scheduler

    ws = open_streams(config="name: p\nstreams:\n  a: {retention: 1h}\n", files={})
    ws.publish("a", [{"n": 1}, {"n": 2}])
    scheduler = Scheduler(ws)
    scheduler.load()
    scheduler.tick(datetime.now(UTC) + timedelta(minutes=30))
    assert scheduler.retained == {} and ws.sql("SELECT count(*) FROM a").fetchall() == [(2,)]
    scheduler.tick(datetime.now(UTC) + timedelta(minutes=200))
    assert scheduler.retained == {"a": 2} and ws.sql("SELECT count(*) FROM a").fetchall() == [(0,)]


def test_new_field_names_must_be_usable_as_columns(open_streams: Open) -> None:
    ws = open_streams()
    ws.publish("clicks", {"url": "/a"})
    cases = [({"": 1}, "field '': a new field needs a name of letters, digits and underscores"),
             ({"a b": 1}, "field 'a b': a new field needs a name"),
             ({"URL": "/b"}, "field 'URL': differs from the existing column 'url' only by case"),
             ({"x": 1, "X": 2}, "field 'X': differs from the existing column 'x' only by case")]
    for event, message in cases:
        with pytest.raises(EventsRejected) as info:
            ws.publish("clicks", event)
        assert message in str(info.value), str(info.value)


def test_a_failing_request_does_not_fail_the_others_of_its_commit(open_streams: Open) -> None:
    ws = open_streams()

    def explode(cursor: object) -> None:
        raise RuntimeError("boom")

    futures = [ws.streams.submit("clicks", {"n": i}, within=explode if i == 3 else None)
               for i in range(8)]
    outcomes = []
    for f in futures:
        try:
            outcomes.append(f.result(60).accepted)
        except RuntimeError as exc:
            outcomes.append(str(exc))
    assert outcomes == [1, 1, 1, "boom", 1, 1, 1, 1]
    assert sorted(r[0] for r in ws.sql("SELECT n FROM clicks").fetchall()) == [0, 1, 2, 4, 5, 6, 7]
    assert ws.sql("SELECT count(DISTINCT _offset), max(_offset) FROM clicks").fetchall() == [(7, 7)]
