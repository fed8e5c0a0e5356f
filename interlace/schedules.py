"""What is scheduled, and when: cron / every triggers and the project's schedule definitions.

Two sources, one shape (:class:`ScheduleDef`): a model's ``schedule={"cron": ..., "timezone": ...}``
or ``{"every": "15m"}`` (named ``model:<name>``), and the ``schedules:`` of config.yaml, each a
notebook (path, parameters, timeout) or a ``selector:`` of models. Bad input — an invalid cron,
an unknown time zone, ``every`` below one second, a notebook outside the project — is an error at
load that names the model or the config key.

Core: imports no face library (croniter is a plain dependency).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from interlace.errors import (
    ConfigError,
    InterlaceError,
    ModelDefinitionError,
    NotebookError,
    UnknownScheduleError,
    did_you_mean,
)
from interlace.retry import NO_RETRY, RetryPolicy

if TYPE_CHECKING:
    from interlace.config import LoadedConfig
    from interlace.maintenance import LakeTask
    from interlace.project.spec import ModelSpec

__all__ = ["ScheduleDef", "Timing", "format_duration", "notebook_path", "parse_duration", "project_schedules", "timing_of",
           "unknown_schedule"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_duration(value: Any) -> timedelta:
    """``"15m"``, ``"1s"``, ``"2h"``, ``"1d"``, ``"1w"`` or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration: write a number and a unit s, m, h, d or w ('15m')")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration`: the largest unit that divides it (``"7d"``, ``"90s"``)."""
    seconds = int(value.total_seconds())
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class Timing:
    """When a schedule fires: a cron expression in a time zone, or every fixed interval (its ticks
    are whole multiples of the interval since 1970-01-01 UTC, so they survive restarts)."""

    cron: str | None = None
    every: timedelta | None = None
    timezone: str = "UTC"

    def next_after(self, moment: datetime) -> datetime:
        """The first tick strictly after ``moment`` (aware, UTC)."""
        if self.every is not None:
            step = self.every.total_seconds()
            count = int((moment - _EPOCH).total_seconds() // step) + 1
            return _EPOCH + timedelta(seconds=count * step)
        from croniter import croniter

        local = moment.astimezone(ZoneInfo(self.timezone))
        return croniter(self.cron, local).get_next(datetime).astimezone(UTC)

    def latest_at_or_before(self, moment: datetime) -> datetime:
        """The last tick at or before ``moment`` (aware, UTC)."""
        if self.every is not None:
            step = self.every.total_seconds()
            count = int((moment - _EPOCH).total_seconds() // step)
            return _EPOCH + timedelta(seconds=count * step)
        from croniter import croniter

        ticks = croniter(self.cron, moment.astimezone(ZoneInfo(self.timezone)) + timedelta(seconds=1))
        latest = ticks.get_prev(datetime)
        if latest > moment:  # within the second after ``moment``
            latest = ticks.get_prev(datetime)
        return latest.astimezone(UTC)

    def describe(self) -> str:
        if self.every is not None:
            return f"every {self.every.total_seconds():g}s"
        return f"cron '{self.cron}' ({self.timezone})"


def timing_of(raw: Mapping[str, Any]) -> Timing:
    """Validate ``{"cron": ..., "timezone": ...}`` / ``{"every": ...}``; ValueError says what is wrong."""
    unknown = set(raw) - {"cron", "every", "timezone"}
    if unknown:
        raise ValueError(f"has unknown key(s) {', '.join(sorted(unknown))} (valid: cron, every, timezone)")
    if ("cron" in raw) == ("every" in raw):
        raise ValueError("needs exactly one of 'cron' or 'every'")
    timezone = str(raw.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"has an unknown timezone {timezone!r}: use an IANA name such as 'Europe/Paris' or 'UTC'") from None
    if "every" in raw:
        if "timezone" in raw:
            raise ValueError("'timezone' applies to 'cron' only ('every' counts real seconds)")
        every = parse_duration(raw["every"])
        if every < timedelta(seconds=1):
            raise ValueError(f"'every' must be at least 1s (got {raw['every']!r})")
        return Timing(every=every)
    from croniter import croniter

    cron = str(raw["cron"])
    if not croniter.is_valid(cron):
        raise ValueError(f"has an invalid cron expression {cron!r}: use five fields, minute hour day month "
                         "weekday, such as '0 6 * * *' (06:00 every day)")
    return Timing(cron=cron, timezone=timezone)


@dataclass(frozen=True, slots=True)
class ScheduleDef:
    """One schedule: what it runs (``models`` selectors, or a ``notebook``) and when."""

    name: str
    kind: str  # model | models | notebook | lake
    timing: Timing
    select: tuple[str, ...] = ()
    notebook: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    misfire_grace: timedelta = timedelta(minutes=5)
    origin: str = ""
    retry: RetryPolicy = NO_RETRY  # a failed fire is fired again (same tick) after a delay
    overlap: str = "skip"  # skip | queue: a tick due while max_concurrency fires are in flight
    max_concurrency: int = 1
    lake: LakeTask | None = None  # kind lake: the maintenance each fire runs

    def to_dict(self) -> dict[str, Any]:
        """The definition as stored in state (a change of it resets the next fire)."""
        return {"kind": self.kind, "timing": self.timing.describe(), "select": list(self.select),
                "notebook": self.notebook, "parameters": dict(self.parameters), "timeout": self.timeout,
                "misfire_grace_s": self.misfire_grace.total_seconds(), "retry": self.retry.to_dict(),
                "overlap": self.overlap, "max_concurrency": self.max_concurrency,
                **({"lake": self.lake.to_dict()} if self.lake is not None else {})}

    @property
    def runs(self) -> str:
        """What a fire runs, in a few words (listings)."""
        if self.lake is not None:
            return self.lake.describe()
        return self.notebook or " ".join(self.select)

    def payload(self) -> dict[str, Any]:
        """What a dead letter of this schedule runs when retried."""
        if self.kind == "notebook":
            return {"schedule": self.name, "notebook": self.notebook, "parameters": dict(self.parameters),
                    "timeout": self.timeout}
        if self.lake is not None:
            return {"schedule": self.name, "lake": self.lake.to_dict()}
        return {"schedule": self.name, "select": list(self.select)}


def notebook_path(root: Path, path: str, *, key: str) -> Path:
    """``path`` (relative to the project, or absolute) as a notebook file inside ``root``."""
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise NotebookError(f"{key} '{path}' is outside the project {root}", origin=key,
                            hint="put the notebook inside the project directory and give its path relative to it")
    if resolved.suffix != ".ipynb":
        raise NotebookError(f"{key} '{path}' is not a notebook (.ipynb)", origin=key,
                            hint="give the path of a .ipynb file")
    if not resolved.is_file():
        raise NotebookError(f"{key} '{path}' does not exist ({resolved})", origin=key,
                            hint="check the path (it is relative to the project directory)")
    return resolved


def project_schedules(root: Path, loaded: LoadedConfig, models: Mapping[str, ModelSpec], *,
                      errors: dict[str, str] | None = None) -> dict[str, ScheduleDef]:
    """Every schedule of the project: the models' ``schedule=`` and config's ``schedules:``.

    A bad schedule raises; with ``errors``, it is left out and its message stored there instead
    (the scheduler keeps firing the good ones and reports the bad).
    """
    if errors is None:
        return _schedules(root, loaded, models, None)
    return _schedules(root, loaded, models, errors)


def _schedules(root: Path, loaded: LoadedConfig, models: Mapping[str, ModelSpec],
               errors: dict[str, str] | None) -> dict[str, ScheduleDef]:
    conf = loaded.config
    grace = parse_duration(conf.scheduler.misfire_grace)
    default_retry = conf.scheduler.retry_policy.policy() if conf.scheduler.retry_policy else NO_RETRY
    origin = str(loaded.files[0]) if loaded.files else "config.yaml"
    out: dict[str, ScheduleDef] = {}
    for spec in models.values():
        if spec.config.schedule:
            try:
                timing = timing_of(spec.config.schedule)
            except ValueError as exc:  # validated at declaration too; kept for specs built otherwise
                raise ModelDefinitionError(f"keyword 'schedule' {exc}", model=spec.name, origin=str(spec.origin),
                                           hint="correct 'schedule=' of the model") from None
            out[f"model:{spec.name}"] = ScheduleDef(f"model:{spec.name}", "model", timing, select=(spec.name,),
                                                    misfire_grace=grace, origin=str(spec.origin),
                                                    retry=default_retry)
    for name, item in conf.schedules.items():
        key = f"schedules.{name}"
        try:
            timing = timing_of({k: v for k, v in (("cron", item.cron), ("every", item.every),
                                                  ("timezone", item.timezone)) if v is not None})
            item_grace = parse_duration(item.misfire_grace) if item.misfire_grace is not None else grace
        except ValueError as exc:
            raise ConfigError(f"key '{key}' {exc}", origin=origin, hint=f"correct '{key}' in config.yaml") from None
        common: dict[str, Any] = {"misfire_grace": item_grace, "origin": f"{origin} ({key})", "overlap": item.overlap,
                  "max_concurrency": item.max_concurrency,
                  "retry": item.retry_policy.policy() if item.retry_policy else default_retry}
        if item.notebook is not None:
            try:
                notebook_path(root, item.notebook, key=f"{key}.notebook")
            except NotebookError as exc:
                error = ConfigError(exc.message, origin=origin, hint=exc.hint)
                if errors is None:
                    raise error from None
                errors[name] = str(error)
                continue
            out[name] = ScheduleDef(name, "notebook", timing, notebook=item.notebook,
                                    parameters=dict(item.parameters), timeout=item.timeout, **common)
        elif item.lake is not None:
            if loaded.default_connection.type != "ducklake":
                error = ConfigError(
                    f"key '{key}.lake' schedules DuckLake maintenance, but the default connection "
                    f"'{conf.default_connection}' is type {loaded.default_connection.type}",
                    origin=origin, hint=f"remove '{key}' or make the warehouse a type: ducklake connection")
                if errors is None:
                    raise error
                errors[name] = str(error)
                continue
            out[name] = ScheduleDef(name, "lake", timing, lake=item.lake.task(), **common)
        else:
            select = (item.selector,) if isinstance(item.selector, str) else tuple(item.selector or ())
            out[name] = ScheduleDef(name, "models", timing, select=select, **common)
    return out


def unknown_schedule(name: str, known: Mapping[str, ScheduleDef], errors: Mapping[str, str]) -> InterlaceError:
    """The error for a schedule ``name`` that is not among ``known`` (nor loaded, per ``errors``)."""
    if name in errors:
        return UnknownScheduleError(f"schedule '{name}' is not loaded: {errors[name]}",
                                    hint="fix the schedule in config.yaml and restart the scheduler")
    names = sorted(known)
    return UnknownScheduleError(
        f"no schedule named '{name}'.{did_you_mean(name, names)} Schedules: {', '.join(names) or 'none'}",
        hint="`interlace schedule list` shows them; model schedules are named model:<model>")
