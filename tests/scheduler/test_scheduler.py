"""The scheduler on a fake clock: ticks, catch-up within misfire_grace, coalescing, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import interlace
from interlace.errors import ConfigError, ModelDefinitionError, UnknownScheduleError
from interlace.scheduler import Scheduler
from tests.conftest import write_files

T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Paris


def _project(tmp_path: Path, config: str = "name: p\n", header: str = "schedule={'cron': '0 6 * * *', "
             "'timezone': 'Europe/Paris'}") -> Path:
    return write_files(tmp_path / "p", {
        "config.yaml": config,
        "models/daily.sql": f"-- @model(materialize='table', {header})\nSELECT 1 AS x\n",
        "models/other.sql": "-- @model(materialize='table')\nSELECT 2 AS y\n",
    })


def _fires(ws: interlace.Workspace, name: str) -> list[tuple[datetime, str]]:
    return [(f.scheduled_at.astimezone(UTC), f.status) for f in reversed(ws.schedule_fires(name))]


def test_a_cron_schedule_fires_at_its_tick_as_a_forced_run_of_the_run_manager(tmp_path: Path) -> None:
    with interlace.open(_project(tmp_path)) as ws:
        scheduler = Scheduler(ws)
        assert list(scheduler.load(T0)) == ["model:daily"]
        tick = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)  # 06:00 Paris (winter, UTC+1)
        assert ws.schedule_records()["model:daily"].next_fire_at == tick
        assert scheduler.tick(tick - timedelta(seconds=1)) == []
        (fire,) = scheduler.tick(tick + timedelta(seconds=2))
        assert (fire.schedule, fire.scheduled_at, fire.status) == ("model:daily", tick, "running")
        scheduler.wait_idle()
        run = ws.run_record(fire.run_id)
        assert (run.status, run.trigger, run.selector) == ("success", "schedule:model:daily", "daily")
        record = ws.schedule_records()["model:daily"]
        assert (record.last_fire_at, record.last_status, record.last_run_id) == (tick, "success", fire.run_id)
        assert record.next_fire_at == tick + timedelta(days=1) and record.last_finished_at is not None
        # the next day: nothing changed, yet the scheduled run builds again (forced)
        (again,) = scheduler.tick(tick + timedelta(days=1))
        scheduler.wait_idle()
        assert [r.status for r in ws.model_runs(run_id=again.run_id)] == ["success"]
        assert _fires(ws, "model:daily") == [(tick, "success"), (tick + timedelta(days=1), "success")]


def test_summer_time_moves_the_utc_tick_of_a_zoned_cron(tmp_path: Path) -> None:
    with interlace.open(_project(tmp_path)) as ws:
        scheduler = Scheduler(ws)
        scheduler.load(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
        assert ws.schedule_records()["model:daily"].next_fire_at == datetime(2026, 7, 2, 4, 0, tzinfo=UTC)


def test_after_downtime_the_latest_missed_tick_runs_once_within_misfire_grace(tmp_path: Path) -> None:
    project = _project(tmp_path, "name: p\nscheduler:\n  misfire_grace: 10m\n")
    with interlace.open(project) as ws:
        Scheduler(ws).load(T0)  # the scheduler ran once, then the machine was off for three days
    day4 = datetime(2026, 1, 9, 5, 0, tzinfo=UTC)
    with interlace.open(project) as ws:  # a restart: state remembers the schedule's next fire
        scheduler = Scheduler(ws)
        scheduler.load(day4 + timedelta(minutes=4))
        (fire,) = scheduler.tick(day4 + timedelta(minutes=4))
        scheduler.wait_idle()
        assert (fire.scheduled_at, fire.status) == (day4, "running")
        assert _fires(ws, "model:daily") == [(day4, "success")]  # the three earlier ticks coalesced into it
        assert scheduler.tick(day4 + timedelta(minutes=5)) == []
        assert ws.schedule_records()["model:daily"].next_fire_at == day4 + timedelta(days=1)


def test_a_tick_later_than_misfire_grace_is_recorded_missed_not_run(tmp_path: Path) -> None:
    project = _project(tmp_path, "name: p\nscheduler:\n  misfire_grace: 10m\n")
    with interlace.open(project) as ws:
        scheduler = Scheduler(ws)
        scheduler.load(T0)
        late = datetime(2026, 1, 6, 5, 11, tzinfo=UTC)
        (fire,) = scheduler.tick(late)
        assert fire.status == "missed" and fire.run_id is None
        assert fire.error == ("missed: 660s late, more than misfire_grace (600s); no scheduler was running "
                              "at 2026-01-06T05:00:00+00:00")
        assert ws.runs.history(5) == []


def test_a_tick_from_before_the_schedule_existed_never_runs(tmp_path: Path) -> None:
    with interlace.open(_project(tmp_path)) as ws:
        scheduler = Scheduler(ws)
        scheduler.load(datetime(2026, 1, 6, 5, 0, 30, tzinfo=UTC))  # 30 s after today's 06:00 Paris tick
        assert scheduler.tick(datetime(2026, 1, 6, 5, 0, 31, tzinfo=UTC)) == []


def test_a_tick_never_runs_twice_across_schedulers_and_restarts(tmp_path: Path) -> None:
    project = _project(tmp_path, header="schedule={'every': '1m'}")
    with interlace.open(project) as ws:
        first, second = Scheduler(ws), Scheduler(ws)
        first.load(T0)
        second.load(T0)
        at = T0 + timedelta(minutes=1, seconds=1)
        assert [f.status for f in first.tick(at)] == ["running"]
        assert second.tick(at) == []  # the tick is claimed: the second scheduler leaves it
        first.wait_idle()
    with interlace.open(project) as ws:  # restarted at the same instant: still not twice
        restarted = Scheduler(ws)
        restarted.load(at)
        assert restarted.tick(at) == []
        assert _fires(ws, "model:daily") == [(T0 + timedelta(minutes=1), "success")]
        assert len(ws.runs.history(10)) == 1


def test_config_schedules_select_several_models_and_trigger_fires_now(tmp_path: Path) -> None:
    config = "name: p\nschedules:\n  both:\n    selector: [daily, other]\n    every: 1h\n"
    with interlace.open(_project(tmp_path, config)) as ws:
        scheduler = Scheduler(ws)
        scheduler.load(T0)
        fire = scheduler.trigger("both", T0)
        scheduler.wait_idle()
        assert sorted(r.model for r in ws.model_runs(run_id=fire.run_id)) == ["daily", "other"]
        assert ws.run_record(fire.run_id).trigger == "schedule:both"
        with pytest.raises(UnknownScheduleError) as info:
            scheduler.trigger("bth", T0)
        assert str(info.value) == ("no schedule named 'bth'. Did you mean 'both'? Schedules: both, model:daily\n"
                                   "Fix: `interlace schedule list` shows them; model schedules are named "
                                   "model:<model>")


@pytest.mark.parametrize(("block", "message"), [
    ("cron: '61 * * * *'", "key 'schedules.bad': has an invalid cron expression '61 * * * *': use five "
     "fields, minute hour day month weekday, such as '0 6 * * *' (06:00 every day)"),
    ("cron: '0 6 * * *'\n    timezone: Mars/Olympus", "key 'schedules.bad': has an unknown timezone "
     "'Mars/Olympus': use an IANA name such as 'Europe/Paris' or 'UTC'"),
    ("every: 500ms", "key 'schedules.bad': '500ms' is not a duration: write a number and a unit s, m, h, "
     "d or w ('15m')"),
    ("every: 0.5s", "key 'schedules.bad': 'every' must be at least 1s (got '0.5s')"),
])
def test_bad_config_schedules_are_errors_at_load_naming_the_key(tmp_path: Path, block: str, message: str) -> None:
    project = _project(tmp_path, f"name: p\nschedules:\n  bad:\n    selector: other\n    {block}\n")
    with pytest.raises(ConfigError) as info:
        interlace.open(project)
    assert str(info.value).startswith(f"{project / 'config.yaml'}: {message} (got ")


def test_a_bad_model_schedule_names_the_model(tmp_path: Path) -> None:
    project = _project(tmp_path, header="schedule={'every': '0s'}")
    with interlace.open(project) as ws:  # the model is an error of its own; the project still loads
        error = ws.project.broken["daily"]
    assert isinstance(error, ModelDefinitionError)
    assert str(error) == (f"model 'daily' ({Path('models/daily.sql')}:1): keyword 'schedule' 'every' must be "
                          "at least 1s (got '0s')\nFix: correct 'schedule=' in the -- @model header")


def test_a_notebook_outside_the_project_is_reported_and_the_other_schedules_still_fire(tmp_path: Path) -> None:
    config = ("name: p\nschedules:\n  report:\n    notebook: ../elsewhere.ipynb\n    every: 1m\n")
    (tmp_path / "elsewhere.ipynb").write_text("{}")
    project = _project(tmp_path, config, header="schedule={'every': '1m'}")
    with interlace.open(project) as ws:
        scheduler = Scheduler(ws)
        assert list(scheduler.load(T0)) == ["model:daily"]
        assert scheduler.errors == {"report": (
            f"{project / 'config.yaml'}: schedules.report.notebook '../elsewhere.ipynb' is outside the project "
            f"{project}\nFix: put the notebook inside the project directory and give its path relative to it")}
        assert [f.status for f in scheduler.tick(T0 + timedelta(minutes=1))] == ["running"]
        scheduler.wait_idle()
        with pytest.raises(UnknownScheduleError) as info:
            scheduler.trigger("report", T0)
        assert str(info.value).startswith("schedule 'report' is not loaded: ")
