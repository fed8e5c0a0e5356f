"""``interlace serve``: the REST API, live events, Swagger UI and the dashboard in one process."""

from __future__ import annotations

import contextlib

import click

from interlace.cli.main import cli, console, err_console, open_workspace
from interlace.cli.params import workspace_flags


@cli.command()
@click.option("--host", default=None, help="address to listen on (default: service.host, 127.0.0.1)")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="port (default: service.port, 8080; 0 picks a free port)")
@click.option("--no-dashboard", is_flag=True, help="serve the API only (faster start, no Panel)")
@click.option("--no-scheduler", is_flag=True, help="do not fire the project's schedules (see `interlace scheduler`)")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True)
@workspace_flags
def serve(host: str | None, port: int | None, no_dashboard: bool, no_scheduler: bool, log_level: str,
          project_dir: str, env: str | None) -> None:
    """Serve the project: API under /api/v1, docs at /api/docs, dashboard at /dashboard, site at /docs.

    It also fires the project's schedules (models' schedule=, config.yaml's schedules:) unless
    --no-scheduler is given or scheduler.enabled is false.

    Every endpoint but /health needs an API key (`interlace keys create NAME --scope read`).
    The server holds the warehouse: `interlace run`, `plan`, `info`, ... in this project are sent
    to it (see .interlace/owner/), and other programs use its API.
    """
    from interlace.cli.forward import check_unowned
    from interlace.server.app import serve as run_server

    check_unowned(project_dir, env)  # a second server says who serves the project, and where
    with open_workspace(project_dir, env) as ws:
        auth = ws.loaded.config.service.auth

        def ready(bound_host: str, bound_port: int) -> None:
            url = f"http://{bound_host}:{bound_port}"
            console.print(f"interlace serving [bold]{ws.loaded.config.name or ws.root.name}[/] ({ws.env}) at {url}")
            if not no_dashboard:
                console.print(f"  dashboard  {url}/dashboard")
            console.print(f"  API docs   {url}/api/docs   (OpenAPI: {url}/api/openapi.json)")
            console.print(f"  docs site  {url}/docs/   (rebuilt after each run)")
            if not auth.enabled:
                err_console.print("[red]WARNING:[/] service.auth.enabled is false — anyone who can reach "
                                  "this address can read and run everything.")
            elif not auth.keys and not ws.keys.list():
                err_console.print("No API keys exist yet: stop the server and run "
                                  "`interlace keys create NAME --scope admin`.")

        # uvicorn re-raises the Ctrl-C it handled: for a server, stopping is the normal end
        with contextlib.suppress(KeyboardInterrupt):
            run_server(ws, host, port, dashboard=not no_dashboard, log_level=log_level, on_ready=ready,
                       scheduler=not no_scheduler and ws.loaded.config.scheduler.enabled)
    err_console.print("Server stopped.")
