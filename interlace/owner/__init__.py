"""The process that holds a warehouse answers for it: owner files, the owner channel, forwarding.

DuckDB lets one process open a database file for writing and no other process open it at all.
The process that holds it (``interlace serve``, ``interlace scheduler``, a kernel after
``%interlace serve``) publishes under ``.interlace/owner/`` how to reach it — a 127.0.0.1 port
and a token in a file only its user may read — and answers there: a CLI command that finds the
warehouse held sends its work to the owner and prints the answer as it would have printed its own.

- :mod:`interlace.owner.file`: the owner file (publish, find, stale files, the token's mode);
- :mod:`interlace.owner.wire`: the JSON form of the answers (datetimes, tuples, decimals kept);
- :mod:`interlace.owner.calls`: what may be asked of an owner (the commands' structured answers);
- :mod:`interlace.owner.channel`: the owner's side (a loopback HTTP server on the stdlib);
- :mod:`interlace.owner.client`: the asking side.

Core: imports no web framework, IPython or Panel (the channel is the standard library's HTTP
server, so ``interlace scheduler`` without the server extra answers too).
"""

from __future__ import annotations

from interlace.owner.file import Owner, find_owner

__all__ = ["Owner", "find_owner"]
