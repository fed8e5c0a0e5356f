"""API keys: made here, stored as SHA-256 hashes, checked in constant time.

A key looks like ``ilk_<key_id>_<secret>``. ``key_id`` is public (it finds the stored record);
the whole key is hashed and compared with :func:`hmac.compare_digest`. Keys named in
``service.auth.keys`` come from environment variables and may have any form.

Core: this module imports no web framework. ``Workspace.keys`` (a :class:`KeyStore`) is how the
``interlace keys`` command, the API and the dashboard create, list and revoke keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interlace.errors import ConfigError

if TYPE_CHECKING:
    from interlace.config import AuthConfig
    from interlace.state.store import ApiKeyRecord, StateStore

__all__ = ["SCOPES", "KeyRing", "KeyStore", "NewKey", "Principal", "generate_key", "has_scope", "hash_key"]

SCOPES = ("read", "run", "admin")  # each scope includes the ones before it
_KEY = re.compile(r"^ilk_([0-9a-f]{12})_[A-Za-z0-9_-]{20,}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_ENV_KEY_LENGTH = 24


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request: the key's name, where it came from, and its scope."""

    name: str
    scope: str
    source: str  # store | env | session | anonymous (auth disabled)

    def allows(self, required: str) -> bool:
        return has_scope(self.scope, required)


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly made key: ``key`` is shown once and never stored."""

    name: str
    scope: str
    key_id: str
    key: str


def has_scope(granted: str, required: str) -> bool:
    """``admin`` includes ``run``, which includes ``read``."""
    return SCOPES.index(granted) >= SCOPES.index(required)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(f"'{name}' is not a valid key name",
                          hint="use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    return name


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise ConfigError(f"unknown scope '{scope}'", hint=f"use one of: {', '.join(SCOPES)}")
    return scope


def generate_key(name: str, scope: str) -> NewKey:
    key_id = secrets.token_hex(6)
    return NewKey(check_name(name), check_scope(scope), key_id, f"ilk_{key_id}_{secrets.token_urlsafe(32)}")


def create_key(state: StateStore, name: str, scope: str, *, confirmed: bool = True) -> NewKey:
    """Make a key, store its hash, and return it (the only time the key is known).

    With ``confirmed=False`` the key does not work until ``state.confirm_api_key(key_id)``: the
    CLI confirms it once it has printed it, so a kill in between leaves no key nobody saw.
    """
    new = generate_key(name, scope)
    state.create_api_key(key_id=new.key_id, name=new.name, scope=new.scope, key_hash=hash_key(new.key),
                         confirmed=confirmed)
    return new


class KeyStore:
    """The stored API keys of one warehouse: create (shown once), list, revoke."""

    def __init__(self, state: StateStore) -> None:
        self._state = state

    def create(self, name: str, scope: str, *, confirmed: bool = True) -> NewKey:
        """Store a new key; ``confirmed=False`` until :meth:`confirm` (after it has been shown)."""
        if self._state.read_only:
            from interlace.errors import ReadOnlyError

            raise ReadOnlyError("this environment's warehouse is read-only, so keys cannot be stored in it",
                                hint="give keys through environment variables (service.auth.keys) instead")
        return create_key(self._state, name, scope, confirmed=confirmed)

    def confirm(self, key_id: str) -> None:
        """The key was shown to its creator: from now on it authenticates."""
        self._state.confirm_api_key(key_id)

    def list(self, *, include_revoked: bool = False) -> list[ApiKeyRecord]:
        return self._state.api_keys(include_revoked=include_revoked)

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """The active key with this public id (with its hash, for verification)."""
        return self._state.api_key(key_id)

    def revoke(self, name: str) -> None:
        """Revoke the active key ``name``; :class:`UnknownKeyError` listing the active keys if none."""
        from interlace.errors import UnknownKeyError

        if not self._state.revoke_api_key(name):
            names = [r.name for r in self._state.api_keys()]
            raise UnknownKeyError(f"no active key named '{name}'",
                                  hint=f"active keys: {', '.join(names)}" if names else "there are no active keys")


class KeyRing:
    """Resolves a presented key to a :class:`Principal`: env keys from config, then the store.

    Stored keys are looked up by their public id and cached for ``cache_seconds`` (revocations
    made through this process clear the cache at once).
    """

    def __init__(self, auth: AuthConfig, store: KeyStore | None, *, cache_seconds: float = 5.0) -> None:
        self._store = store
        self._env: list[tuple[str, str, str]] = []  # (hash, name, scope)
        for entry in auth.keys:
            value = os.environ.get(entry.env)
            if value is None:
                raise ConfigError(f"service.auth.keys: key '{entry.name}' reads ${entry.env}, which is not set",
                                  hint=f"export {entry.env}=<key> before starting the server, or remove the entry")
            if len(value) < MIN_ENV_KEY_LENGTH:
                raise ConfigError(
                    f"service.auth.keys: ${entry.env} (key '{entry.name}') is {len(value)} characters long; "
                    f"a key needs at least {MIN_ENV_KEY_LENGTH}",
                    hint="use a random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'")
            self._env.append((hash_key(value), entry.name, entry.scope))
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()

    def resolve(self, presented: str) -> Principal | None:
        """The principal of a presented key, or None if it is unknown or revoked."""
        digest = hash_key(presented)
        found: Principal | None = None
        for stored, name, scope in self._env:  # no early exit: every env key is compared
            if hmac.compare_digest(stored, digest) and found is None:
                found = Principal(name, scope, "env")
        if found is not None:
            return found
        match = _KEY.match(presented)
        if match is None or self._store is None:
            return None
        record = self._record(match.group(1))
        if record is None or not hmac.compare_digest(str(record.key_hash), digest):
            return None
        return Principal(record.name, record.scope, "store")

    def needs_lookup(self, presented: str) -> bool:
        """Whether :meth:`resolve` would read the store (a stored key not cached): callers on an
        event loop then resolve on a worker thread."""
        match = _KEY.match(presented)
        if match is None or self._store is None:
            return False
        with self._lock:
            hit = self._cache.get(match.group(1))
        return hit is None or time.monotonic() - hit[0] >= self._cache_seconds

    def env_admins(self) -> list[str]:
        """Names of the admin keys given through environment variables."""
        return [name for _, name, scope in self._env if scope == "admin"]

    def forget(self) -> None:
        """Drop cached records (after a key is created or revoked in this process)."""
        with self._lock:
            self._cache.clear()

    def _record(self, key_id: str) -> ApiKeyRecord | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key_id)
            if hit is not None and now - hit[0] < self._cache_seconds:
                return hit[1]
        assert self._store is not None
        record = self._store.get(key_id)
        with self._lock:
            if len(self._cache) > 10_000:  # unknown ids must not grow the cache without bound
                self._cache.clear()
            self._cache[key_id] = (now, record)
        return record
