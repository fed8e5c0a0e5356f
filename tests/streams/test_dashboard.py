"""The dashboard's Streams view: rate, size, lag per consumer and the last events."""

from __future__ import annotations

from collections.abc import Callable

import interlace


def test_streams_view_shows_lag_and_last_events(open_streams: Callable[..., interlace.Workspace]) -> None:
    from interlace.events import StreamPublished
    from interlace.keys import Principal
    from interlace.server.dashboard.app import Dashboard
    from interlace.server.service import Service

    ws = open_streams()
    ws.publish("clicks", [{"url": "/a"}, {"url": "/<b>"}])
    ws.streams.consume("clicks", "billing", 1)
    ws.streams.ack("clicks", "billing", 1)
    svc = Service(ws)
    board = Dashboard(svc, Principal("t", "read", "t"), base="")
    board.refresh()
    html = board.streams_html.object
    assert "<td>clicks</td><td>2</td><td>2</td>" in html
    assert "billing (1)" in html and "<td>click_counts</td>" in html
    assert '{&quot;url&quot;: &quot;/&lt;b&gt;&quot;}' in html
    ws.publish("clicks", {"url": "/c"})
    board._pending.append(StreamPublished(stream="clicks", count=1))
    board._drain()
    assert "<td>clicks</td><td>3</td>" in board.streams_html.object
    board.close()
    svc.close()
