"""sources.yaml mistakes are caught at load time, naming the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import load_sources, parse_schedule
from crawler.yamlconf import ConfigError

SCHEDULE_FIX = "use a 5-field cron expression such as '0 6 * * *' or 'every 6 hours'"
MET = (
    "  - id: met\n"
    "    platform: police_soh\n"
    "    authority: Metropolitan Police\n"
    "    url: https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-log/\n"
)
KENT = (
    "  - id: kent\n"
    "    platform: police_soh\n"
    "    authority: Kent Police\n"
    "    url: https://www.kent.police.uk/foi-ai/kent-police/disclosure-log/\n"
)


def _load_error(tmp_path: Path, sources_yaml: str) -> ConfigError:
    (tmp_path / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources(tmp_path)
    return caught.value


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("61 * * * *", "minute '61' is not valid (minute takes 0-59)"),
        ("0 24 * * *", "hour '24' is not valid (hour takes 0-23)"),
        ("0 6 0 * *", "day '0' is not valid (day takes 1-31)"),
        ("0 6 * 13 *", "month '13' is not valid (month takes 1-12 or jan-dec)"),
        ("0 6 * * 8", "day of week '8' is not valid (day of week takes 0-7 or sun-sat, 0 and 7 being Sunday"),
        ("0 6 * * mon-fry", "day of week 'mon-fry' is not valid"),
        ("*/0 * * * *", "minute '*/0' is not valid"),
        ("0 6-2 * * *", "hour '6-2' is not valid"),
        ("every 0 hours", "the interval must be at least 1 hour"),
        ("every 9999999999 days", "the interval is too long"),
        ("sometimes", "is neither 'every N minutes|hours|days' nor a 5-field cron expression"),
        ("0 6 * *", "is neither 'every N minutes|hours|days' nor a 5-field cron expression"),
    ],
)
def test_a_bad_schedule_is_reported_at_its_line(tmp_path: Path, schedule: str, problem: str) -> None:
    error = _load_error(tmp_path, f"sources:\n{KENT}{MET}    schedule: '{schedule}'\n")
    assert error.file == tmp_path / "sources.yaml"
    assert error.line == 10
    assert f"sources.1.schedule: schedule '{schedule}'" in error.problem
    assert problem in error.problem
    assert error.fix == SCHEDULE_FIX
    assert str(error).startswith(f"{tmp_path / 'sources.yaml'}:10: ")
    assert str(error).endswith(f"\n  fix: {SCHEDULE_FIX}")


@pytest.mark.parametrize(
    ("schedule", "trigger"),
    [
        ("0 6 * * *", CronTrigger),
        ("*/15 8-18 * * mon-fri", CronTrigger),
        ("0 6 1,15 jan,jul *", CronTrigger),
        ("30 23 last * *", CronTrigger),
        ("every 1 minute", IntervalTrigger),
        ("every 6 hours", IntervalTrigger),
    ],
)
def test_a_schedule_that_loads_is_one_the_scheduler_accepts(schedule: str, trigger: type) -> None:
    job = BackgroundScheduler(timezone="UTC").add_job(print, **parse_schedule(schedule))
    assert isinstance(job.trigger, trigger)


@pytest.mark.parametrize(
    ("sources_yaml", "duplicate", "line", "first"),
    [
        (f"sources:\n{MET}{KENT}{MET}", "met", 10, 2),
        (f"sources:\n{MET}{KENT}{KENT}", "kent", 10, 6),
        # id is not the first key of the duplicate entry: the id's own line is reported
        (
            f"sources:\n{MET}{KENT}"
            "  - platform: police_soh\n    authority: Met again\n    id: met\n"
            "    url: https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-log/\n",
            "met",
            12,
            2,
        ),
    ],
    ids=["third-repeats-first", "third-repeats-second", "id-not-first-key"],
)
def test_a_duplicate_source_id_points_at_the_duplicate(
    tmp_path: Path, sources_yaml: str, duplicate: str, line: int, first: int
) -> None:
    error = _load_error(tmp_path, sources_yaml)
    assert error.file == tmp_path / "sources.yaml"
    assert error.line == line
    assert error.problem == f"source id '{duplicate}' appears twice (first at line {first})"
    assert error.fix == "give each source a unique id"


@pytest.mark.parametrize(
    ("schedule", "weekdays"),
    [
        ("0 6 * * 0", {"Sunday"}),
        ("0 6 * * 7", {"Sunday"}),
        ("0 6 * * 1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
        ("0 6 * * 0-6", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}),
        ("0 6 * * 6,0", {"Saturday", "Sunday"}),
        ("0 6 * * sat", {"Saturday"}),
    ],
)
def test_day_of_week_numbers_mean_what_they_mean_in_crontab(schedule: str, weekdays: set[str]) -> None:
    from datetime import UTC, datetime

    fields = {k: v for k, v in parse_schedule(schedule).items() if k != "trigger"}
    trigger = CronTrigger(timezone="UTC", **fields)
    moment, seen = datetime(2026, 11, 23, tzinfo=UTC), set()
    for _ in range(14):
        moment = trigger.get_next_fire_time(None, moment)
        seen.add(moment.strftime("%A"))
        moment = moment.replace(hour=7)
    assert seen == weekdays
