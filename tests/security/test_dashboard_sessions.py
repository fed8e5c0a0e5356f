"""Findings 1, 4 and 5: session fixation, secrets in the page, the websocket's Origin.

Each test reproduces the red-team's request against a real server and asserts the fixed answer.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.browser_support import browser_page, require_chromium, screenshot
from tests.security.conftest import Live, login, page_token, token_payload, ws_connect


@pytest.fixture
def dash(live_factory: Callable[..., Live]) -> Live:
    return live_factory(dashboard=True)


# -- 1. session fixation -------------------------------------------------------------------------
def test_a_client_chosen_session_id_is_refused(dash: Live) -> None:
    victim = login(dash, "run")
    for query in ("bokeh_session_id=attacker-chosen-id", "bokeh_session_id="):  # the empty one was a 500
        response = httpx.get(f"{dash.url}/dashboard?{query}", cookies={"interlace_session": victim})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert error["message"] == "the dashboard makes its own session ids: open /dashboard without bokeh_session_id"


def test_session_ids_are_signed_by_the_server(dash: Live) -> None:
    _, token = page_token(dash, login(dash, "read"))
    session_id = token_payload(token)["session_id"]
    assert session_id.count(".") == 1 and len(session_id) > 40  # <random>.<signature> (Bokeh signed ids)


def test_another_login_cannot_join_a_session_it_did_not_open(dash: Live) -> None:
    """The attack: a read-key user learns a run-key user's session (a link, a log) and opens it."""
    victim, attacker = login(dash, "run"), login(dash, "read")
    _, token = page_token(dash, victim)
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(dash, token, cookie=attacker)
    assert refused.value.response.status_code == 403
    # the same token with the run key as a header (another credential) is refused too
    with pytest.raises(InvalidStatus):
        ws_connect(dash, token, headers={"X-API-Key": dash.keys["run"]})
    with ws_connect(dash, token, cookie=victim) as own:  # its own login joins
        assert own.subprotocol == "bokeh"
        assert '"msgtype":"ACK"' in own.recv(timeout=20).replace(" ", "")


def test_fixation_link_in_a_browser_gives_no_session(dash: Live) -> None:
    require_chromium()
    with browser_page() as page:
        page.goto(dash.url + "/login")
        page.fill("#key", dash.keys["run"])
        page.click("#sign-in")
        page.wait_for_selector(".il-header")
        response = page.goto(dash.url + "/dashboard?bokeh_session_id=chosen-by-attacker")
        assert response is not None and response.status == 400
        assert "makes its own session ids" in page.content()
        screenshot(page, "security-fixation-refused")
    with dash.client("read") as c:
        assert c.get("/api/v1/runs").json()["runs"] == []  # nothing ran in anyone's name


# -- 4. secrets in the page ----------------------------------------------------------------------
def test_the_page_carries_no_credential_and_is_not_cached(dash: Live) -> None:
    cookie = login(dash, "run")
    page, token = page_token(dash, cookie)
    assert page.headers["cache-control"] == "no-store"
    payload = token_payload(token)
    assert payload.get("cookies", {}) == {}
    assert set(payload.get("headers", {})) <= {"User-Agent"}
    assert cookie not in page.text
    keyed = httpx.get(dash.url + "/dashboard", headers={"X-API-Key": dash.keys["run"],
                                                        "Authorization": f"Bearer {dash.keys['run']}"})
    assert keyed.status_code == 200
    assert dash.keys["run"] not in keyed.text
    keyed_payload = token_payload(page_token_from(keyed.text))
    assert dash.keys["run"] not in str(keyed_payload)


def page_token_from(html: str) -> str:
    import re

    match = re.search(r'"token":\s*"([A-Za-z0-9_\-.]+)"', html)
    assert match
    return match.group(1)


def test_page_scripts_cannot_read_the_session(dash: Live) -> None:
    require_chromium()
    with browser_page() as page:
        page.goto(dash.url + "/login")
        page.fill("#key", dash.keys["run"])
        page.click("#sign-in")
        page.wait_for_selector(".il-header")
        assert "interlace_session" not in page.evaluate("document.cookie")  # HttpOnly
        cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "interlace_session")
        scripts = page.evaluate("Array.from(document.scripts).map(s => s.textContent).join('\\n')")
        assert cookie not in scripts and dash.keys["run"] not in scripts
        # the Bokeh token a script can read (base64 JSON) holds neither the cookie nor any header of it
        readable = str(token_payload(page_token_from(scripts)))
        assert cookie not in readable and "interlace_session" not in readable


# -- 5. websocket Origin --------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1.evil.example"])
def test_a_foreign_origin_cannot_open_the_websocket(dash: Live, origin: str) -> None:
    cookie = login(dash, "read")
    _, token = page_token(dash, cookie)
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(dash, token, cookie=cookie, origin=origin)
    assert refused.value.response.status_code == 403
    with ws_connect(dash, token, cookie=cookie) as own:
        assert own.subprotocol == "bokeh"


def test_a_configured_cors_origin_may_open_the_websocket(live_factory: Callable[..., Live]) -> None:
    live = live_factory(dashboard=True, config="name: shop\nservice:\n  cors:\n    origins: ['https://ops.example']\n")
    cookie = login(live, "read")
    _, token = page_token(live, cookie)
    with ws_connect(live, token, cookie=cookie, origin="https://ops.example") as ws:
        assert ws.subprotocol == "bokeh"
