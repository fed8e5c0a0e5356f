"""The REST API under ``/api/v1``: routers, auth and rate-limit middleware, typed errors.

Each group of endpoints is one module under ``routes/`` exposing ``router``; ``routes.ROUTERS``
lists them. A later feature (scheduler, streams, dead-letter queue, migrations) adds its module
and one line there. Every endpoint declares the scope it needs with :func:`routes.requires`.
"""

API_PREFIX = "/api/v1"

__all__ = ["API_PREFIX"]
