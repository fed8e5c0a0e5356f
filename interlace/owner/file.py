"""The owner file: ``.interlace/owner/<env>.json`` says which process holds the environment's
warehouse and where it answers; ``<env>.token`` (mode 0600) holds the token it expects.

A file is believed only while its process lives: the PID must exist *and* have the start time
recorded (``/proc/<pid>/stat``), so a PID reused by another program after a crash does not count.
A stale file is removed by whoever finds it. A token file that others may read is refused:
anyone who can read it can run anything on the warehouse.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from interlace.errors import OwnerError
from interlace.state.liveness import start_ticks

__all__ = [
    "OWNER_DIR",
    "TOKEN_HEADER",
    "Owner",
    "already_held",
    "find_owner",
    "owner_paths",
    "publish",
    "read_token",
    "unpublish",
]

OWNER_DIR = Path(".interlace") / "owner"
TOKEN_HEADER = "X-Interlace-Owner"  # the header that carries the token to the owner channel
KINDS = {
    "serve": "interlace serve",
    "scheduler": "interlace scheduler",
    "kernel": "a notebook kernel (%interlace serve)",
}
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class Owner:
    """What an owner file says: who holds the warehouse of ``env`` and where it answers."""

    pid: int
    started: str | None  # the process's start time in clock ticks since boot (None off Linux)
    address: str  # the owner channel: http://127.0.0.1:PORT
    env: str
    kind: str  # serve | scheduler | kernel
    project_dir: str
    warehouse: str | None
    since: str  # ISO time the owner published itself
    api: str | None = None  # the API and dashboard it serves, if any

    def describe(self) -> str:
        """``interlace serve (PID 4242) at http://127.0.0.1:8080``: how messages name the owner."""
        where = self.api or self.address
        return f"{KINDS.get(self.kind, self.kind)} (PID {self.pid}) at {where}"

    def is_alive(self) -> bool:
        """Whether the process that wrote the file still runs (not merely one with its PID)."""
        if self.started is not None:
            return start_ticks(self.pid) == self.started
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    @classmethod
    def current(
        cls,
        *,
        address: str,
        env: str,
        kind: str,
        project_dir: Path,
        warehouse: Path | None,
        api: str | None = None,
    ) -> Owner:
        """This process as the owner of ``env``'s warehouse."""
        return cls(
            pid=os.getpid(),
            started=start_ticks(os.getpid()),
            address=address,
            env=env,
            kind=kind,
            project_dir=str(project_dir),
            warehouse=str(warehouse) if warehouse else None,
            since=datetime.now(UTC).isoformat(timespec="seconds"),
            api=api,
        )


def already_held(root: Path, owner: Owner) -> OwnerError:
    """The error of a second owner (a second ``interlace serve``): who holds it, and where."""
    return OwnerError(
        f"the warehouse of environment '{owner.env}' in {root} is already held by "
        f"{owner.describe()}, "
        f"since {owner.since}",
        hint=f"use that one (interlace commands in this project are sent to it), or stop it first "
        f"(Ctrl-C in its terminal, or `kill {owner.pid}`)",
    )


def owner_paths(root: Path, env: str) -> tuple[Path, Path]:
    """(owner file, token file) of ``env`` in the project at ``root``."""
    name = env if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", env) else f"env-{abs(hash(env)):x}"
    base = root / OWNER_DIR
    return base / f"{name}.json", base / f"{name}.token"


def publish(root: Path, owner: Owner, token: str) -> None:
    """Write the token (mode 0600, created so: never readable by others, whatever the umask), then
    the owner file (atomically: a reader sees the old file or the whole new one)."""
    info_path, token_path = owner_paths(root, owner.env)
    info_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        token_path.unlink()
    fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token)
    partial = info_path.with_name(f".{info_path.name}.{os.getpid()}")
    partial.write_text(json.dumps(asdict(owner), indent=2))
    os.replace(partial, info_path)


def unpublish(root: Path, env: str) -> None:
    """Remove ``env``'s owner files if this process wrote them (a successor's stay)."""
    info_path, token_path = owner_paths(root, env)
    owner = _read(info_path)
    if owner is not None and owner.pid == os.getpid():
        for path in (info_path, token_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def find_owner(root: Path, env: str) -> Owner | None:
    """The live owner of ``env``'s warehouse, or None; a stale owner file (dead process, reused PID)
    is removed."""
    info_path, token_path = owner_paths(root, env)
    owner = _read(info_path)
    if owner is None:
        return None
    if owner.is_alive():
        return owner
    if _read(info_path) == owner:  # not replaced meanwhile by a new owner
        for path in (info_path, token_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return None


def read_token(root: Path, owner: Owner) -> str:
    """The owner's token; refused when its file is missing, not the user's or readable by others."""
    _, token_path = owner_paths(root, owner.env)
    try:
        info = token_path.stat()
    except FileNotFoundError:
        raise OwnerError(
            f"the owner file names {owner.describe()}, but its token file {token_path} is missing",
            hint=f"restart that process, or stop it and run the command again (`kill {owner.pid}`)",
        ) from None
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.getuid():
        raise OwnerError(
            f"the owner token file {token_path} belongs to another user (uid {info.st_uid})",
            hint="run the command as the user who started the owner, or remove the file if "
            "that process is gone",
        )
    if mode & 0o077:
        raise OwnerError(
            f"the owner token file {token_path} may be read by others (mode {mode:04o}): anyone "
            "who "
            "can "
            "read it can run anything on this warehouse, so it is not used",
            hint=f"chmod 600 {token_path}",
        )
    return token_path.read_text().strip()


def _read(path: Path) -> Owner | None:
    try:
        data = json.loads(path.read_text())
        owner = Owner(**data)
    except (OSError, ValueError, TypeError):
        return None  # absent, half-written by an old version, or not ours: as if there were none
    if not isinstance(owner.pid, int) or urlsplit(owner.address).hostname not in _LOOPBACK:
        return None  # the channel only listens on loopback: a file saying otherwise is not believed
    return owner
