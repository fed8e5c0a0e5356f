"""A real PostgreSQL server for tests: Debian's postgresql (``make postgres`` installs it),
a fresh cluster from ``initdb`` in a temporary directory on a free 127.0.0.1 port, stopped after.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster; yields its libpq DSN (user ``interlace``, database ``interlace``)."""
    if not (BINDIR / "initdb").is_file():
        raise RuntimeError(f"{BINDIR}/initdb is missing: run `make postgres` (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="interlace-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, text=True, timeout=120)

    try:
        run(str(BINDIR / "initdb"), "-D", str(data), "-U", "interlace", "--auth=trust", "-E", "UTF8")
        run(str(BINDIR / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "start",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off")
        try:
            run(str(BINDIR / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "interlace", "interlace")
            yield f"host=127.0.0.1 port={port} user=interlace dbname=interlace"
        finally:
            run(str(BINDIR / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
