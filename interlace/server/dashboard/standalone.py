"""The dashboard alone, for ``panel serve``:

    panel serve "$(python -m interlace.server.dashboard)" --args --project-dir my-shop [--env prod]

(or set ``INTERLACE_PROJECT_DIR`` / ``INTERLACE_ENV``). This process opens the workspace and holds
the warehouse, like ``interlace serve``. With ``service.auth.enabled`` (the default) each browser
session starts at a key form and shows nothing until a valid key is given.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

import panel as pn

from interlace.keys import KeyRing, Principal
from interlace.server.dashboard.app import Dashboard
from interlace.server.service import Service

log = logging.getLogger("interlace.server")


def _shared() -> tuple[Service, KeyRing]:
    """One workspace and service per ``panel serve`` process, kept in Panel's server cache."""
    if "interlace" not in pn.state.cache:
        parser = argparse.ArgumentParser(prog="interlace dashboard")
        parser.add_argument("--project-dir", "-d", default=os.environ.get("INTERLACE_PROJECT_DIR", "."))
        parser.add_argument("--env", "-e", default=os.environ.get("INTERLACE_ENV"))
        args, _ = parser.parse_known_args(sys.argv[1:])
        from interlace.workspace import Workspace

        ws = Workspace(args.project_dir, args.env)
        auth = ws.loaded.config.service.auth
        if not auth.enabled:
            log.warning("service.auth.enabled is false: the dashboard is open to anyone who can reach it")
        pn.state.cache["interlace"] = (Service(ws), KeyRing(auth, ws.keys))
    service, keyring = pn.state.cache["interlace"]
    return service, keyring


def session() -> Any:
    svc, keyring = _shared()
    if not svc.workspace.loaded.config.service.auth.enabled:
        return Dashboard(svc, Principal("anonymous", "admin", "anonymous"), base="").view()
    key = pn.widgets.PasswordInput(label="API key", placeholder="ilk_…", width=420, css_classes=["il-key"])
    button = pn.widgets.Button(label="Sign in", color="primary", css_classes=["il-sign-in"])
    error = pn.pane.HTML("")
    page = pn.Column(pn.pane.HTML("<h2>interlace — sign in with an API key</h2>"), key, button, error)

    def sign_in(_event: Any) -> None:
        presented = key.value.strip() if key.value else ""
        principal = keyring.resolve(presented) if presented else None
        if principal is None:
            error.object = '<p style="color:#b3261e" id="login-error">That key is not valid (unknown or revoked).</p>'
            return
        key.value = ""
        # every action re-checks the key, so a key revoked after sign-in stops working
        page[:] = [Dashboard(svc, principal, base="", recheck=lambda: keyring.resolve(presented)).view()]

    button.on_click(sign_in)
    return page


if __name__.startswith("bokeh"):  # run by `panel serve`
    session().servable(title="interlace")
