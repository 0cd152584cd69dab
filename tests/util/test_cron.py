"""The cron schedule parser: the next due time of standard schedules, and robfig/cron's
errors for bad ones."""

from __future__ import annotations

import datetime as dt

import pytest

from minikube_py.util import cron

AFTER = dt.datetime(2026, 12, 4, 21, 47, 30, tzinfo=dt.UTC)  # a Friday


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.mark.parametrize(("spec", "want"), [
    pytest.param("* * * * *", at(2026, 12, 4, 21, 48), id="every-minute"),
    pytest.param("*/15 * * * *", at(2026, 12, 4, 22, 0), id="step"),
    pytest.param("5/20 * * * *", at(2026, 12, 4, 22, 5), id="start-and-step"),
    pytest.param("0 9-17 * * *", at(2026, 12, 5, 9, 0), id="range"),
    pytest.param("0,50 21 * * *", at(2026, 12, 4, 21, 50), id="list"),
    pytest.param("0 0 * * MON", at(2026, 12, 7, 0, 0), id="weekday-name"),
    pytest.param("0 0 1 JAN *", at(2027, 1, 1, 0, 0), id="month-name"),
    pytest.param("0 0 13 * 5", at(2026, 12, 11, 0, 0), id="day-or-weekday"),
    pytest.param("0 0 */10 * 5", at(2026, 12, 11, 0, 0), id="stepped-day-is-restricted"),
    pytest.param("0 0 * * mon-wed", at(2026, 12, 7, 0, 0), id="weekday-range"),
    pytest.param("0 0 29 2 *", at(2028, 2, 29, 0, 0), id="leap-day"),
    pytest.param("@hourly", at(2026, 12, 4, 22, 0), id="hourly"),
    pytest.param("@daily", at(2026, 12, 5, 0, 0), id="daily"),
    pytest.param("@weekly", at(2026, 12, 6, 0, 0), id="weekly-sunday"),
    pytest.param("@monthly", at(2027, 1, 1, 0, 0), id="monthly"),
    pytest.param("@yearly", at(2027, 1, 1, 0, 0), id="yearly"),
    pytest.param("@every 90s", at(2026, 12, 4, 21, 49), id="every"),
])
def test_next_due_time(spec: str, want: dt.datetime) -> None:
    """The first due time strictly after Fri 2026-12-04 21:47:30 UTC."""
    assert cron.parse(spec).next(AFTER) == want


def test_the_next_time_is_strictly_after_a_due_time() -> None:
    """From a due time itself the next is the one after it."""
    assert cron.parse("*/5 * * * *").next(at(2026, 12, 4, 21, 50)) == at(2026, 12, 4, 21, 55)


@pytest.mark.parametrize("spec", [
    pytest.param("CRON_TZ=Europe/Berlin 0 9 * * *", id="cron-tz-prefix"),
    pytest.param("TZ=Europe/Berlin 0 9 * * *", id="tz-prefix"),
])
def test_a_zone_prefix_schedules_in_local_time(spec: str) -> None:
    """09:00 in Berlin (UTC+1 in December) is 08:00 UTC."""
    due = cron.parse(spec).next(AFTER)
    assert due is not None and due.astimezone(dt.UTC) == at(2026, 12, 5, 8, 0)


def test_the_time_zone_field_and_daylight_saving() -> None:
    """spec.timeZone America/New_York: 02:30 daily across the spring-forward day lands on the
    next real instant, and the due times stay in order."""
    schedule = cron.parse("30 2 * * *", time_zone="America/New_York")
    first = schedule.next(dt.datetime(2027, 3, 13, 12, 0, tzinfo=dt.UTC))
    assert first is not None
    second = schedule.next(first)
    assert second is not None and second > first
    assert second.astimezone(dt.UTC).date() == dt.date(2027, 3, 15)


def test_an_impossible_date_is_never_due() -> None:
    """30 February: no due time within the five years searched."""
    assert cron.parse("0 0 30 2 *").next(AFTER) is None


@pytest.mark.parametrize(("spec", "message"), [
    pytest.param("", "empty spec string", id="empty"),
    pytest.param("* * * *", "expected exactly 5 fields, found 4: [* * * *]", id="four-fields"),
    pytest.param("60 * * * *", "end of range (60) above maximum (59): 60", id="above-max"),
    pytest.param("* * 0 * *", "beginning of range (0) below minimum (1): 0", id="below-min"),
    pytest.param("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1",
                 id="backwards"),
    pytest.param("*/0 * * * *", "step of range should be a positive number: */0", id="step-0"),
    pytest.param("1-2-3 * * * *", "too many hyphens: 1-2-3", id="hyphens"),
    pytest.param("@fortnightly", "unrecognized descriptor: @fortnightly", id="descriptor"),
    pytest.param("* * * * FOO", "failed to parse int from FOO", id="bad-name"),
])
def test_bad_schedules_say_why(spec: str, message: str) -> None:
    """A bad schedule is a CronError in robfig/cron's words."""
    with pytest.raises(cron.CronError) as err:
        cron.parse(spec)
    assert str(err.value).startswith(message)


def test_an_unknown_zone_is_an_error() -> None:
    """An unknown spec.timeZone cannot be scheduled in."""
    with pytest.raises(cron.CronError, match="unknown time zone Mars/Olympus"):
        cron.parse("* * * * *", time_zone="Mars/Olympus")
