"""Cron schedules: when a CronJob is next due (robfig/cron's ``ParseStandard`` and
``SpecSchedule.Next``, the parser Kubernetes' CronJob controller uses).

The standard five fields (minute, hour, day of month, month, day of week) with ``*``/``?``,
ranges ``a-b``, steps ``*/n`` and ``a/n`` (``a`` to the maximum), lists ``a,b`` and the names
``JAN``-``DEC`` and ``SUN``-``SAT``; the descriptors ``@yearly``/``@annually``, ``@monthly``,
``@weekly``, ``@daily``/``@midnight``, ``@hourly`` and ``@every <duration>``; an optional
``CRON_TZ=<zone>``/``TZ=<zone>`` prefix. When both day fields are restricted a day matching
either is due (cron's rule); when one starts with ``*`` both must match.

The CronJob controller (``controllers/cronjob.py``) calls :func:`parse` and
:meth:`Schedule.next`; the API's validation of ``spec.schedule`` (``api/validation/batch.py``)
reports the :class:`CronError` message, so a schedule the API accepts is one the controller
can run.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DAYS))
DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
               "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
               "@hourly": "0 * * * *"}
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$")  # Go's time.Duration
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)")
SEARCH_YEARS = 5  # robfig gives up after five years without a match (e.g. 30 February)


class CronError(ValueError):
    """Not a cron schedule; the message is robfig/cron's."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: the allowed values of each field, or a constant interval."""

    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    day_star: bool = False  # the day-of-month field began with * (unstepped)
    weekday_star: bool = False
    every: float | None = None  # @every: seconds between runs
    zone: dt.tzinfo = dt.UTC

    def next(self, after: dt.datetime) -> dt.datetime | None:
        """The first time strictly after ``after`` that the schedule is due (aware, in the
        schedule's zone), or None when none comes within five years."""
        if self.every is not None:
            return (after + dt.timedelta(seconds=self.every)).replace(microsecond=0)
        local = after.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0)
        t = local + dt.timedelta(minutes=1)
        limit = t.year + SEARCH_YEARS
        while t.year <= limit:
            if t.month not in self.months:
                t = _first_of_next_month(t)
                continue
            if not self._day_matches(t):
                t = (t + dt.timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if t.hour not in self.hours:
                t = (t + dt.timedelta(hours=1)).replace(minute=0)
                continue
            if t.minute not in self.minutes:
                t += dt.timedelta(minutes=1)
                continue
            due = t.replace(tzinfo=self.zone)
            if due > after:
                return due
            t += dt.timedelta(minutes=1)  # a wall time repeated when clocks went back
        return None

    def _day_matches(self, t: dt.datetime) -> bool:
        dom = t.day in self.days
        dow = (t.isoweekday() % 7) in self.weekdays
        if self.day_star or self.weekday_star:
            return dom and dow
        return dom or dow


def _first_of_next_month(t: dt.datetime) -> dt.datetime:
    if t.month == 12:
        return dt.datetime(t.year + 1, 1, 1)
    return dt.datetime(t.year, t.month + 1, 1)


def parse(spec: str, *, time_zone: str | None = None) -> Schedule:
    """Parse a schedule (``time_zone``: the CronJob's ``spec.timeZone``; a ``CRON_TZ=``
    prefix wins). Raises :class:`CronError`."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        prefix, _, spec = spec.partition(" ")
        time_zone = prefix.partition("=")[2]
        spec = spec.strip()
    zone = _zone(time_zone)
    if spec.startswith("@every "):
        return Schedule(every=_duration(spec), zone=zone)
    if spec.startswith("@"):
        if spec not in DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed = [_field(text, low, high, names)
              for text, (low, high, names) in zip(fields, _FIELDS, strict=True)]
    return Schedule(minutes=parsed[0][0], hours=parsed[1][0], days=parsed[2][0],
                    months=parsed[3][0], weekdays=parsed[4][0], day_star=parsed[2][1],
                    weekday_star=parsed[4][1], zone=zone)


def _zone(name: str | None) -> dt.tzinfo:
    if not name or name == "UTC":
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise CronError(f"provided bad location {name}: unknown time zone {name}") from err


def _duration(spec: str) -> float:
    text = spec[len("@every "):]
    if not _DURATION.match(text) or text in ("", "."):
        raise CronError(f'failed to parse duration {spec}: time: invalid duration "{text}"')
    total = 0.0
    for number, unit in _DURATION_PART.findall(text):
        total += float(number) * _UNITS[unit] if number.strip(".") else 0.0
    return max(float(int(total)), 1.0)  # robfig: whole seconds, at least one


def _field(text: str, low: int, high: int, names: dict[str, int]) -> tuple[frozenset[int], bool]:
    """The values a comma-separated field allows, and whether it is an unstepped star."""
    values: set[int] = set()
    star = False
    for expr in text.split(","):
        part, part_star = _range(expr, low, high, names)
        values |= part
        star = star or part_star
    return frozenset(values), star


def _range(expr: str, low: int, high: int, names: dict[str, int]) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    if len(range_and_step) > 2:
        raise CronError(f"too many slashes: {expr}")
    bounds = range_and_step[0].split("-")
    star = bounds[0] in ("*", "?")
    if star:
        start, end = low, high
    elif len(bounds) == 1:
        start = end = _value(bounds[0], names)
    elif len(bounds) == 2:
        start, end = _value(bounds[0], names), _value(bounds[1], names)
    else:
        raise CronError(f"too many hyphens: {expr}")
    step = 1
    if len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if len(bounds) == 1 and not star:
            end = high  # "N/step" means "N-max/step"
        if step > 1:
            star = False
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _value(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    return _atoi(text)


def _atoi(text: str) -> int:
    """A non-negative int as Go's ``strconv.Atoi`` reads it (sign and digits only)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": '
                        "invalid syntax")
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value
