"""The dashboard's login: a key typed once becomes an HttpOnly session cookie.

``GET /login`` shows the form, ``POST /login`` checks the key like any request's key and sets the
cookie, ``GET /logout`` ends the session. The page is self-contained (no external assets).
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from interlace.server.api.auth import LOGIN_PATH, SESSION_COOKIE, failed_authentication

__all__ = ["install_login"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>interlace — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body {{ font-family: system-ui, sans-serif; background: #f4f5f7; display: flex; justify-content: center;
        align-items: center; min-height: 100vh; margin: 0; }}
 form {{ background: white; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 2px 12px #0002;
        width: 26rem; }}
 h1 {{ font-size: 1.3rem; margin: 0 0 1rem; }} label {{ display: block; margin-bottom: .4rem; color: #333; }}
 input[type=password] {{ width: 100%; box-sizing: border-box; padding: .55rem; font-size: 1rem;
        border: 1px solid #bbb; border-radius: 4px; }}
 button {{ margin-top: 1rem; padding: .55rem 1.2rem; font-size: 1rem; background: #2f6fde; color: white;
        border: 0; border-radius: 4px; cursor: pointer; }}
 .error {{ color: #b3261e; margin: 0 0 1rem; }} .hint {{ color: #666; font-size: .85rem; margin-top: 1rem; }}
</style></head>
<body><form method="post" action="{action}">
<h1>interlace — {project}</h1>{error}
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="off" autofocus required>
<input type="hidden" name="next" value="{next}">
<button type="submit" id="sign-in">Sign in</button>
<p class="hint">Create a key with <code>interlace keys create NAME --scope read</code>.</p>
</form></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a login to another host."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or len(target) > 2000):
        return "/dashboard"
    return target


def install_login(app: FastAPI, project: str) -> None:
    def page(next_: str, error: str = "", status: int = 200, retry: str | None = None) -> HTMLResponse:
        body = _PAGE.format(action=LOGIN_PATH, project=html.escape(project), next=html.escape(next_),
                            error=f'<p class="error" id="login-error">{html.escape(error)}</p>' if error else "")
        headers = {"Cache-Control": "no-store", **({"Retry-After": retry} if retry else {})}
        return HTMLResponse(body, status_code=status, headers=headers)

    @app.get(LOGIN_PATH, include_in_schema=False, response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return page(_safe_next(request.query_params.get("next")))

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        try:
            form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
        except ValueError:  # more fields than the form has
            return page("/dashboard", "The sign-in form was not valid: send only 'key' and 'next'.", status=400)
        key = (form.get("key") or [""])[0].strip()
        target = _safe_next((form.get("next") or [""])[0])
        # the key may be looked up in the store: on a worker thread, not the event loop
        principal = await run_in_threadpool(request.app.state.keyring.resolve, key) if key else None
        if principal is None:
            refusal = failed_authentication(request.app.state.auth_failures, request.scope)
            if refusal is not None:
                return page(target, f"Too many failed sign-ins: {refusal[0]}.", status=429, retry=refusal[1])
            return page(target, "That key is not valid (unknown or revoked).", status=401)
        token = request.app.state.sessions.create(principal)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, token, max_age=request.app.state.sessions.max_age, httponly=True,
                            samesite="lax", secure=request.url.scheme == "https", path="/")
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        request.app.state.sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
