"""A workspace's reliability settings in one place: retry policies, breakers, the clock, and
dead letters of models that exhausted their retries. The engine receives these through its
:class:`~interlace.engine.run.RunContext`; faces reach them through the workspace.

Core: imports no face library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interlace.breaker import BreakerSettings, CircuitBreakers
from interlace.retry import NO_RETRY, Clock, RetryPolicy, policy_of

if TYPE_CHECKING:
    from interlace.config import LoadedConfig
    from interlace.project.spec import ModelSpec
    from interlace.state.store import StateStore

__all__ = ["Reliability"]


class Reliability:
    """Retry policies by model, the connections' circuit breakers, and the clock they share."""

    def __init__(self, loaded: LoadedConfig, state: StateStore, clock: Clock | None = None) -> None:
        config = loaded.config
        self._state = state
        self.clock = clock or Clock()
        self.default_policy: RetryPolicy = config.retry_policy.policy() if config.retry_policy else NO_RETRY
        self.default_connection = config.engine or config.default_connection
        self.breakers = CircuitBreakers(state, BreakerSettings.of(config.circuit_breaker), self.clock)

    def use_clock(self, clock: Clock) -> None:
        """Drive retries and breakers with ``clock`` (tests: :class:`~interlace.retry.FakeClock`)."""
        self.clock = clock
        self.breakers._clock = clock

    def retry_of(self, spec: ModelSpec) -> RetryPolicy:
        own = policy_of(spec.config.retry_policy)
        return own if own is not None else self.default_policy

    def connection_of(self, spec: ModelSpec) -> str:
        return spec.config.connection or self.default_connection

    def dead_letter(self, run_id: str, model: str, attempts: int, error: str, trigger: str) -> None:
        self._state.add_dead_letter(kind="model", model=model, run_id=run_id, attempts=attempts, error=error,
                                    payload={"select": [model], "trigger": trigger}, now=self.clock.now())
