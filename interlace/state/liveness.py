"""Which process owns a run: a token that a later process never repeats, even with the same PID.

A server restarted as PID 1 in a container gets the PID of the one that crashed, so a PID alone
cannot tell "my run" from "a run my dead predecessor left running". The token adds the process's
start time (``/proc/<pid>/stat``, field 22, in clock ticks since boot, where available) and random
bits drawn once per process.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

__all__ = ["is_alive", "process_token", "start_ticks"]


def start_ticks(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may contain spaces: split after it
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


@functools.cache
def _token(pid: int) -> str:
    return f"{pid}:{start_ticks(pid) or '-'}:{secrets.token_hex(8)}"


def process_token() -> str:
    """This process's liveness token (a forked child gets its own: the PID is part of the key)."""
    return _token(os.getpid())


def is_alive(token: str) -> bool:
    """Whether the process that made ``token`` still runs (not merely a process with its PID)."""
    if token == process_token():
        return True
    pid_text, _, rest = token.partition(":")
    ticks = rest.partition(":")[0]
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if ticks != "-":
        return start_ticks(pid) == ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
