"""Time expressions ("bis März", "nächste Woche", "ASAP", "by May", "01.03.", "vom 3.3. bis 10.3.") and availability.

Dates come from dateparser (German and English, relative to today, preferring the future); this module only
adds what dateparser leaves to the caller or misreads: range words ("bis", "ab", "by", "from", "vom … bis …"),
"Anfang/Mitte/Ende", urgency ("ASAP", "dringend"), the weekend, weekdays ("nächsten Dienstag"), numeric dates
("01.03.", which dateparser reads as the time 01:03), and a few holidays (Easter via dateutil). School holidays
depend on the federal state and are refused with a request for dates; a time of day alone is no date.

How phrases are read (relative to today):
- a date without a year ("01.03.", "3. März", "März") is the next such date or month on or after today;
- a weekday ("Dienstag", "nächsten Dienstag", "kommenden Montag", "next Tuesday", "this Friday") is the next one
  after today (said on a Tuesday, "Dienstag" is a week later: today is "heute"); "nächste Woche Dienstag" is the
  Tuesday of next week;
- "in 3 Tagen" is that day; "in 2 Wochen", "in a month" the Monday-to-Sunday week that day falls in; "in einem
  Jahr" the month it falls in;
- "Anfang/Mitte/Ende" of a month are 10 days (as always), of a week 3 days ("Ende nächster Woche": Friday to
  Sunday), of a year three or four months (January-March, May-August, October-December);
- in a range ("vom 3.3. bis 10.3.", "3.–10. März", "between 3 and 10 March", "Montag bis Freitag") the end is
  read as usual and the start as the latest such day on or before the end (so "vom 1.12. bis 10.12." said on
  2 December is this December).

Availability ("nur am Wochenende", "abends", "kommt kurzfristig") is matched against a wanted time
("Samstagabend") by weekday and part of day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from .errors import InputError

URGENT_DAYS = 2  # "ASAP" means within this many days
URGENT = {"asap", "sofort", "dringend", "so schnell wie möglich", "schnellstmöglich", "as soon as possible",
          "urgent", "urgently", "right away", "immediately", "schnell"}
UNTIL = ("bis spätestens", "spätestens", "bis zum", "bis zur", "bis", "until", "no later than", "by", "before", "vor")
FROM = ("ab dem", "ab", "from", "starting", "after", "nach", "seit")
DROP_WORDS = {"diesen", "dieses", "diese", "this", "am", "im", "den", "the", "on"}
SPECIAL_PERIODS = ("ende des monats", "monatsende", "end of the month", "end of month")
_DAYPART_SUFFIX = re.compile(r"(?<=\w)(?<!über)(abend|morgen|vormittag|nachmittag|mittag|nacht)s?\b"  # not übermorgen
                             r"|\s+(abends?|morgens?|vormittags?|nachmittags?|nachts?|früh|evening|morning|afternoon"
                             r"|night)\b")
PART_OF_PERIOD = {"anfang": "start", "beginning of": "start", "early": "start", "mitte": "mid", "mid": "mid",
                  "ende": "end", "end of": "end", "late": "end"}
WEEKDAYS = {  # matched as word starts, so "Samstagabend" and "samstags" count
    0: ("montag", "monday"), 1: ("dienstag", "tuesday"), 2: ("mittwoch", "wednesday"), 3: ("donnerstag", "thursday"),
    4: ("freitag", "friday"), 5: ("samstag", "sonnabend", "saturday"), 6: ("sonntag", "sunday"),
}
_WEEKDAY_OF = {word: day for day, words in WEEKDAYS.items() for word in words}
EXAMPLES = "'bis März', 'nächste Woche', 'ASAP', '2027-03-01'"  # tests/test_links_and_needs.py pins this text
DATE_EXAMPLES = "'morgen', 'bis 01.03.', 'vom 3.3. bis 10.3.', '2027-03-01'"  # when a reason is given

# School holidays differ between the 16 federal states (and years): no guess, the dates are asked for.
_SCHOOL_HOLIDAYS = re.compile(r"ferien|\bschool\b.*\b(?:holidays?|break|vacation)|half[- ]term|\bthe holidays\b"
                              r"|\b(?:summer|easter|autumn|fall|winter|christmas|whitsun|spring)\s+(?:holidays?|break"
                              r"|vacation)\b")
# A time of day ("18 Uhr", "10:30", "um 10", "von 10 bis 12 Uhr"), taken out before the date is read.
_HHMM = r"\d{1,2}(?:[:.]\d{2})?"
_TIME_OF_DAY = re.compile(
    rf"(?:\b(?:um|gegen|ab|bis|von|at|around|from|until|till|by)\s+)?(?:\b{_HHMM}\s*(?:[-–]|bis|to)\s*)?"
    rf"(?:\b\d{{1,2}}:\d{{2}}(?:\s*(?:uhr|h|am|pm)\b)?|\b{_HHMM}\s*(?:uhr|h|am|pm|a\.m\.|p\.m\.)(?!\w))"
    rf"|\b(?:um|gegen|at|around)\s+\d{{1,2}}\b(?![.:/]\d)(?!\.?\s*[a-zäöü])")
_DANGLING = re.compile(r"^(?:und|and|-|–)\s+|\s+(?:bis|ab|um|von|vom|from|to|until|at|und|and|-|–)$")
_TODAY_WORDS = re.compile(r"\b(?:heute|today|tonight|jetzt|now)\b")
# Ranges: "vom 3.3. bis 10.3.", "zwischen Weihnachten und Neujahr", "3.–10. März", "Montag bis Freitag", "3-10 May"
_RANGES = (
    re.compile(r"^(?:vom|von|ab dem|ab|from|zwischen dem|zwischen|between)\s+(?P<a>.+?)\s+"
               r"(?:bis zum|bis|to|till|until|und|and|-|–|—)\s+(?P<b>.+)$"),
    re.compile(r"^(?P<a>\S.*?)\s*(?:\sbis\s|\sto\s|[–—]|\s-\s)\s*(?P<b>.+)$"),
    re.compile(r"^(?P<a>\d{1,2}\.(?:\d{1,2}\.)?)-(?P<b>.+)$"),  # "3.-10. März", "3.3.-10.3."
    re.compile(r"^(?P<a>\d{1,2})-(?P<b>\d{1,2}\.?\s+\D.*)$"),  # "3-10 March"
)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# "1.3.", "01.03.2027", "1.3.27", "25/12": day first, as written in Germany
_NUMERIC_DATE = re.compile(r"(?P<d>\d{1,2})[./](?P<m>\d{1,2})(?:[./](?P<y>\d{4}|\d{2})?)?\.?")
_DAY_OF_MONTH = re.compile(r"(?:den\s+|the\s+)?(?P<d>\d{1,2})(?:\.|st|nd|rd|th)")  # "15.": the 15th
_DAY_LEAD = r"(?:(?:am|on|this|next|coming|diese[nrs]?|nächste[nrs]?|kommende[nrs]?|den|the)\s+)*"
_WEEK = (r"(?:in\s+der\s+|in\s+the\s+)?(?P<week>diese[nr]?|this|nächste[nrs]?|kommende[nrs]?|next|coming)"
         r"\s+(?:woche|week)")
_WEEKDAY = (re.compile(rf"^{_DAY_LEAD}(?P<day>[a-zäöü]+?)s?(?:\s+{_WEEK})?$"),  # "nächsten Dienstag"
            re.compile(rf"^{_WEEK}\s+(?:am\s+|on\s+)?(?P<day>[a-zäöü]+?)s?$"))  # "nächste Woche Dienstag"
_WEEKDAY_AND_DATE = re.compile(r"^(?P<day>[a-zäöü]+?)s?\s+(?:den\s+|the\s+)?(?P<rest>\d.*)$")  # "Samstag, 5.12."
# dateparser knows "nächste Woche" and "diese Woche" but not "Ende nächster Woche", "kommende Woche", "der Woche"
_PERIOD = re.compile(r"^(?:der\s+|des\s+|dem\s+|the\s+|in\s+der\s+)?(?P<which>diese[rnms]?|this|nächste[rnms]?"
                     r"|kommende[rnms]?|next|coming|übernächste[rnms]?)?\s*(?P<unit>woche|monats?|jahr(?:es)?|week"
                     r"|month|year)$")
_PERIOD_UNITS = {"woche": "week", "week": "week", "monat": "month", "monats": "month", "month": "month",
                 "jahr": "year", "jahres": "year", "year": "year"}
_IN_SOME = re.compile(r"^in\s+(?:\S+\s+){1,2}?(?P<unit>tag|tage|tagen|woche|wochen|monat|monaten|jahr|jahren|"
                      r"day|days|week|weeks|month|months|year|years)$")  # "in 2 Wochen", "in a month"
_SAID_AHEAD = re.compile(r"nächst|kommend|next|coming|\d{4}")  # "nächsten Dezember", "März 2027": as said


class _NotADate(Exception):
    """Why a text names no date, for the error message."""


@dataclass(frozen=True)
class When:
    text: str
    start: date | None
    end: date | None

    def to_json(self) -> dict:
        return {"when": self.text, "from": self.start.isoformat() if self.start else None,
                "until": self.end.isoformat() if self.end else None}


def _holidays(year: int) -> dict[str, tuple[date, date]]:
    """Public holidays whose dates are the same in every federal state."""
    from dateutil.easter import easter

    e = easter(year)
    days = {
        ("ostern", "easter"): (e - timedelta(days=2), e + timedelta(days=1)),
        ("karfreitag", "good friday"): (e - timedelta(days=2), e - timedelta(days=2)),
        ("ostersonntag", "easter sunday"): (e, e),
        ("ostermontag", "easter monday"): (e + timedelta(days=1), e + timedelta(days=1)),
        ("himmelfahrt", "christi himmelfahrt", "ascension day"): (e + timedelta(days=39), e + timedelta(days=39)),
        ("pfingsten", "pentecost", "whitsun"): (e + timedelta(days=49), e + timedelta(days=50)),
        ("pfingstmontag", "whit monday"): (e + timedelta(days=50), e + timedelta(days=50)),
        ("mariä himmelfahrt",): (date(year, 8, 15), date(year, 8, 15)),
        ("tag der arbeit", "maifeiertag"): (date(year, 5, 1), date(year, 5, 1)),
        ("tag der deutschen einheit",): (date(year, 10, 3), date(year, 10, 3)),
        ("weihnachten", "christmas"): (date(year, 12, 24), date(year, 12, 26)),
        ("heiligabend", "christmas eve"): (date(year, 12, 24), date(year, 12, 24)),
        ("silvester", "new year's eve", "new years eve"): (date(year, 12, 31), date(year, 12, 31)),
        ("neujahr", "new year", "new year's day"): (date(year, 1, 1), date(year, 1, 1)),
    }
    return {name: span for names, span in days.items() for name in names}


_HOLIDAY_NAMES = sorted(_holidays(2000), key=len, reverse=True)  # longest first: "easter monday" before "easter"


def _holiday(text: str, today: date, past: bool) -> tuple[date, date] | None:
    """The next holiday the text names (or with past, the latest starting on or before today)."""
    name = next((n for n in _HOLIDAY_NAMES if n in text), None)
    if name is None:
        return None
    year = re.search(r"\b\d{4}\b", text)
    if year:
        return _holidays(int(year.group()))[name]
    first, last = _holidays(today.year)[name]
    if past and first > today:
        return _holidays(today.year - 1)[name]
    if not past and last < today:
        return _holidays(today.year + 1)[name]
    return first, last


@lru_cache(maxsize=8)
def _date_parser(today: date, past: bool = False):
    """One dateparser per day (building one costs ~10 ms; an import may parse thousands of dates)."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["de", "en"], settings={
        "PREFER_DATES_FROM": "past" if past else "future", "RETURN_TIME_AS_PERIOD": True, "DATE_ORDER": "DMY",
        "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
    })


def _period_range(day: date, period: str) -> tuple[date, date]:
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def _part_of(first: date, last: date, part: str | None) -> tuple[date, date]:
    """'Anfang/Mitte/Ende' of a period: 10 days of a month (as always), 3 days of a week, a quarter of a year."""
    days = (last - first).days + 1
    if part is None:
        return first, last
    if days > 31:  # a year: Anfang = January to March, Mitte = May to August, Ende = October to December
        from dateutil.relativedelta import relativedelta

        month = relativedelta(months=1)
        return {"start": (first, first + 3 * month - timedelta(days=1)),
                "mid": (first + 4 * month, first + 8 * month - timedelta(days=1)),
                "end": (last + timedelta(days=1) - 3 * month, last)}[part]
    width = 10 if days >= 28 else -(-days // 3)
    if part == "start":
        return first, min(last, first + timedelta(days=width - 1))
    if part == "mid":
        middle = first + (last - first) / 2
        return middle - timedelta(days=width // 2), middle + timedelta(days=width // 2)
    return max(first, last - timedelta(days=width - 1)), last


def _on_or_after(today: date, month: int, day: int, year: int | None = None, past: bool = False) -> date:
    """The date with this day and month (and year, if given): else the next one on or after today (with past,
    the latest on or before today)."""
    if year is not None:
        return date(year, month, day)  # ValueError if there is no such day
    date(2000, month, day)  # ValueError for "32.13." (2000 is a leap year, so 29.2. passes)
    step = -1 if past else 1
    year = today.year
    while True:  # at most 8 years for a 29 February
        try:
            found = date(year, month, day)
        except ValueError:
            found = None
        if found and (found <= today if past else found >= today):
            return found
        year += step


def _numeric(text: str, today: date, past: bool) -> date | None:
    """'01.03.', '1.3.2027', '1.3.27', '25/12', '2027-03-01', '15.' (day order day-month, as written in Germany)."""
    m = _ISO_DATE.fullmatch(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _NUMERIC_DATE.fullmatch(text)
    if m:
        year = m.group("y") and int(m.group("y"))
        if year is not None and year < 100:
            year += 2000
        return _on_or_after(today, int(m.group("m")), int(m.group("d")), year, past)
    m = _DAY_OF_MONTH.fullmatch(text)
    if m:
        day, month = int(m.group("d")), today.replace(day=1)
        if not 1 <= day <= 31:
            raise ValueError(day)
        while True:
            last = calendar.monthrange(month.year, month.month)[1]
            if day <= last and (month.replace(day=day) <= today if past else month.replace(day=day) >= today):
                return month.replace(day=day)
            month = (month - timedelta(days=1)).replace(day=1) if past else month + timedelta(days=last)
    if re.fullmatch(r"\d{1,2}", text):
        raise _NotADate("a number alone is no date: write '5.' for the 5th, or '5.12.'")
    return None


def _weekday(text: str, today: date, past: bool) -> date | None:
    """'Dienstag', 'nächsten Dienstag', 'kommenden Montag', 'this Friday', 'nächste Woche Dienstag'."""
    for pattern in _WEEKDAY:
        m = pattern.fullmatch(text)
        day = m and _WEEKDAY_OF.get(m.group("day"))
        if day is None:
            continue
        if m.group("week"):  # the weekday of this or next week
            monday = today - timedelta(days=today.weekday())
            return monday + timedelta(days=day + (0 if m.group("week").startswith(("dies", "this")) else 7))
        if past:
            return today - timedelta(days=(today.weekday() - day) % 7)
        return today + timedelta(days=(day - today.weekday() - 1) % 7 + 1)  # the next one after today, any lead
    return None


def _period(text: str, today: date) -> tuple[date, date] | None:
    """'diese Woche', 'der Woche', 'nächster Woche', 'kommenden Monat', 'übernächste Woche', 'des Jahres'."""
    m = _PERIOD.fullmatch(text)
    if not m:
        return None
    from dateutil.relativedelta import relativedelta

    unit = _PERIOD_UNITS[m.group("unit")]
    which = m.group("which") or "this"
    ahead = 2 if which.startswith("übernächst") else 0 if which.startswith(("dies", "this")) else 1
    return _period_range(today + relativedelta(**{unit + "s": ahead}), unit)


@lru_cache(maxsize=4096)  # an import repeats the same few whens ("bis März") thousands of times
def _parse_range(text: str, today: date, past: bool = False) -> tuple[date, date] | None:
    """The period a plain expression names ("März" -> all of March, "morgen" -> tomorrow), or None. With past, a
    date without a year is the latest on or before today (for the start of a range)."""
    found = _holiday(text, today, past)
    if found:
        return found
    text = _DAYPART_SUFFIX.sub("", text).strip()  # "Samstagabend" -> "samstag", "morgen früh" -> "morgen"
    if text in ("wochenende", "weekend", "this weekend", "am wochenende", "kommendes wochenende", "coming weekend"):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        return saturday, saturday + timedelta(days=1)
    if text in SPECIAL_PERIODS:
        last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
        return last - timedelta(days=6), last
    try:
        day = _numeric(text, today, past) or _weekday(text, today, past)
    except ValueError:
        raise _NotADate("there is no such day in the calendar") from None
    if day:
        return day, day
    m = _WEEKDAY_AND_DATE.fullmatch(text)
    if m and m.group("day") in _WEEKDAY_OF:  # "Samstag, 5.12.": the date, if it is that weekday
        found = _parse_range(m.group("rest"), today, past)
        if found and found[0] == found[1] and found[0].weekday() != _WEEKDAY_OF[m.group("day")]:
            raise _NotADate(f"{found[0].strftime('%d.%m.%Y')} is a {WEEKDAYS[found[0].weekday()][-1].capitalize()}")
        return found
    found = _period(text, today)
    if found:
        return found
    data = _date_parser(today, past).get_date_data(text)
    if data.date_obj is None:
        return None
    day, period = data.date_obj.date(), data.period or "day"
    if period == "time":  # dateparser found a time of day; with no date part in the text the day is only today
        if day == today and not _TODAY_WORDS.search(text):
            raise _NotADate("a time of day is not a date")
        period = "day"
    m = _IN_SOME.fullmatch(text)
    if m:  # "in 2 Wochen": the week that day falls in, not the calendar month of "in a month"
        unit = m.group("unit")
        return _period_range(day, "week" if unit.startswith(("woche", "week", "monat", "month")) else
                             "month" if unit.startswith(("jahr", "year")) else "day")
    a_year_late = (day.year, day.month) == (today.year + 1, today.month) and (
        period == "month" or period == "day" and day.day == today.day)
    if a_year_late and not past and not _SAID_AHEAD.search(text):
        # dateparser puts today's date or month a year ahead ("März" said in March); on or after today counts
        day = day.replace(year=today.year)
    return _period_range(day, period)


def _one(text: str, today: date, past: bool = False) -> tuple[date, date] | None:
    """One expression, without "bis"/"ab" ("Ende nächster Woche", "01.03.", "Samstagabend"), as its first and last
    day; None if not understood."""
    special = _parse_range(text, today, past) if text in SPECIAL_PERIODS else None
    part = None
    for word, which in ({} if special else PART_OF_PERIOD).items():
        if text.startswith(word + " "):
            part, text = which, text[len(word) + 1:]
            break
    words = text.split()
    while len(words) > 1 and words[0] in DROP_WORDS and words[1] not in _PERIOD_UNITS:  # "diese Woche" keeps "diese"
        words = words[1:]
    text = " ".join(words)
    found = special or (_parse_range(text, today, past) if text else None)
    return _part_of(*found, part) if found else None


def _range(a: str, b: str, today: date) -> tuple[date, date] | None:
    """'vom A bis B': B as usual, A as the latest such day on or before B's end ('3.' takes B's month)."""
    end = _one(b, today)
    if end is None:
        return None
    last = end[1]
    bare = re.fullmatch(r"(\d{1,2})\.?", a)
    if bare:  # "3.–10. März", "between 3 and 10 March": the day in the end's month, else the month before
        day, this_month = int(bare.group(1)), last.replace(day=1)
        for month in (this_month, (this_month - timedelta(days=1)).replace(day=1)):
            if 1 <= day <= calendar.monthrange(month.year, month.month)[1] and month.replace(day=day) <= last:
                return month.replace(day=day), last
        return None
    numeric = _NUMERIC_DATE.fullmatch(a)  # "vom 3.3. bis 10.3.2028": a start without a year is read from the end
    start = None if numeric and not numeric.group("y") else _one(a, today)
    if start is None or start[0] > last:  # "vom 1.12. bis 10.12." said on 2.12.: this December, not next
        start = _one(a, last, past=True)
    if start is None or start[0] > last:
        return None
    return start[0], last


def parse_when(text: str, today: date | None = None, source: str | None = None, line: int | None = None) -> When:
    """A when-expression as a date range (open at one end for "bis …"/"ab …"); InputError if not understood."""
    today = today or date.today()
    raw = text.strip()
    norm = " ".join(raw.lower().replace(",", " ").split())
    if not norm:
        raise InputError("empty time expression", source, line, key="when_empty")
    if _SCHOOL_HOLIDAYS.search(norm):
        raise InputError(f"cannot understand the time '{raw}': school holidays depend on the federal state "
                         f"(Bundesland); give the dates instead, e.g. 'bis 10.04.' or 'vom 30.03. bis 10.04.'",
                         source, line, key="when_holidays", text=raw)
    if norm in URGENT or norm.rstrip("!") in URGENT:
        return When(raw, today, today + timedelta(days=URGENT_DAYS))
    if norm in ("heute", "today"):
        return When(raw, today, today)
    try:
        return _read(raw, norm, today)
    except _NotADate as why:
        raise InputError(f"cannot understand the time '{raw}': {why} (try e.g. {DATE_EXAMPLES})",
                         source, line, key="when_unknown", text=raw) from None
    except (LookupError, ValueError, OverflowError):  # not understood, or beyond the calendar ("Ende 9999")
        pass
    raise InputError(f"cannot understand the time '{raw}' (try e.g. {EXAMPLES})", source, line, key="when_unknown",
                     text=raw)


def not_past(text: str, today: date | None = None) -> None:
    """InputError if the time is understood and over before today ("gestern", "letzte Woche", "bis 01.01.2020"):
    what someone needs, or when, lies ahead. A time that is no date ("vormittags") is left to its caller."""
    today = today or date.today()
    try:
        when = parse_when(text, today)
    except InputError:
        return
    if when.end is not None and when.end < today:
        raise InputError(f"the time '{when.text}' is past (it ended on {when.end.isoformat()}): say a time from "
                         f"today on, e.g. 'morgen', 'nächste Woche', 'bis März'", key="when_past", text=when.text,
                         end=when.end)


@lru_cache(maxsize=4096)  # an import repeats the same few whens thousands of times
def _read(raw: str, norm: str, today: date) -> When:
    """parse_when after the quick cases; LookupError if not understood, _NotADate with a reason."""
    without_time = " ".join(_TIME_OF_DAY.sub(" ", norm).split())  # "morgen 18 Uhr" -> "morgen"
    if without_time != norm:
        while _DANGLING.search(without_time):  # "heute bis 18 Uhr" -> "heute bis" -> "heute"
            without_time = _DANGLING.sub("", without_time).strip()
        if not without_time or without_time in ("bis", "ab", "um", "von", "vom", "from", "until", "at"):
            raise _NotADate("a time of day is not a date")
        norm = without_time
    for pattern in _RANGES:
        m = pattern.fullmatch(norm)
        if m and not any(norm.startswith(word + " ") for word in UNTIL):
            found = _range(m.group("a"), m.group("b"), today)
            if found is None:
                raise LookupError(norm)
            return When(raw, *found)
    mode = "on"
    for word in UNTIL:
        if norm.startswith(word + " "):
            mode, norm = "until", norm[len(word) + 1:]
            break
    else:
        for word in FROM:
            if norm.startswith(word + " "):
                mode, norm = "from", norm[len(word) + 1:]
                break
    found = _one(norm, today)
    if found is None:
        raise LookupError(norm)
    first, last = found
    if mode == "until":
        return When(raw, None, last)
    if mode == "from":
        return When(raw, first, None)
    return When(raw, first, last)


# ---------------------------------------------------------------- availability
WEEKEND = re.compile(r"wochenende|weekend")
WORKDAYS = re.compile(r"unter der woche|werktag|wochentag|weekday|during the week|\bmo\s*[-–]\s*fr\b")
PARTS = {
    "morning": re.compile(r"morgens\b|morgen früh|vormittag|\bfrüh\b|morning"),
    "midday": re.compile(r"(?<!vor)(?<!nach)mittags?\b|lunch|\bnoon"),
    "afternoon": re.compile(r"nachmittag|afternoon|nach der schule|after school"),
    "evening": re.compile(r"abend|evening|tonight|feierabend|nach der arbeit|after work"),
    "night": re.compile(r"nachts?\b|\bnights?\b|overnight"),
}
FLEXIBLE = re.compile(r"kurzfristig|spontan|flexibel|jederzeit|immer erreichbar|rund um die uhr|\banytime|any time|"
                      r"short notice|flexible|24/7|notf[aä]ll|emergenc")
_HOUR = re.compile(r"\b(?:ab|after|from|nach)\s+(\d{1,2})(?:[:.]\d\d)?\s*(?:uhr|h|pm|am)?\b")


# Any word a time could start from: a text without one says nothing about availability (most texts), which this
# one search tells before the phrase-by-phrase reading. Kept in step with WEEKDAYS, WEEKEND, WORKDAYS, PARTS,
# FLEXIBLE and _HOUR above (tests/test_when.py checks that it finds whatever they find).
_ANY_TIME_WORD = re.compile("|".join(
    [rf"\b{w}" for words in WEEKDAYS.values() for w in words]
    + [p.pattern for p in (WEEKEND, WORKDAYS, FLEXIBLE, _HOUR, *PARTS.values())]
    + [r"\bheute|today|tonight|\bmorgen|tomorrow"]))


# A text's times come in phrases ("babysits in the evenings and at weekends": evenings, any day; weekends, any
# time); a phrase with a negation ("abends lieber nicht", "not on Sundays") says when someone is NOT available.
_PHRASE_BREAK = re.compile(r"[,;.!?\n()]|\s[-–—]\s|\s(?:und|and|oder|or|sowie|aber|but)\s")
_JOINING = re.compile(r"\s(?:und|and|oder|or|sowie)\s")
_NEGATION = re.compile(r"\b(?:nicht|kein|keine|keinen|nie|niemals|außer|ausser|not|no|never|except)\b|n't\b")
_NOT_A_NEGATION = re.compile(r"kein problem|kein thema|no problem|not a problem|no worries|nicht schlimm|"
                             r"nicht nur|not only")


@dataclass(frozen=True)
class Slot:
    """Some days at some times of day; empty means any."""

    days: frozenset[int] = frozenset()  # 0 = Monday
    parts: frozenset[str] = frozenset()

    def overlaps(self, other: "Slot") -> bool:
        return ((not self.days or not other.days or bool(self.days & other.days))
                and (not self.parts or not other.parts or bool(self.parts & other.parts)))


@dataclass(frozen=True)
class Availability:
    slots: tuple[Slot, ...] = ()  # when they are available (or, for a wanted time, when it is needed)
    excluded: tuple[Slot, ...] = ()  # when they say they are not
    flexible: bool = False

    @property
    def known(self) -> bool:
        return bool(self.slots or self.excluded or self.flexible)

    @property
    def days(self) -> frozenset[int]:
        return frozenset().union(*(s.days for s in self.slots))

    @property
    def parts(self) -> frozenset[str]:
        return frozenset().union(*(s.parts for s in self.slots))


_NO_SLOT = Slot()
# every weekday's words in one pattern, a named group per day ("d5": Saturday)
_DAY = re.compile("|".join(f"(?P<d{day}>" + "|".join(rf"\b{w}" for w in words) + ")" for day, words in WEEKDAYS.items()))


def _hour_part(hour: int) -> str:
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening" if hour < 22 else "night"


def _slot(phrase: str, today: date | None) -> Slot:
    """The weekdays and parts of day one phrase names ("Samstagabend", "unter der Woche ab 18 Uhr")."""
    low = " " + phrase + " "
    days = {int(m.lastgroup[1:]) for m in _DAY.finditer(low)}
    if WEEKEND.search(low):
        days |= {5, 6}
    if WORKDAYS.search(low):
        days |= {0, 1, 2, 3, 4}
    # "morgen" alone is tomorrow, not morning; only "morgens"/"morgen früh" count
    parts = {part for part, pattern in PARTS.items() if pattern.search(low)}
    for match in _HOUR.finditer(low):
        hour = int(match.group(1)) + (12 if "pm" in match.group(0) and int(match.group(1)) < 12 else 0)
        parts.add(_hour_part(hour))
    if not days and today is not None:
        for word in ("heute", "today", "tonight"):
            if word in low:
                days.add(today.weekday())
        for word in ("morgen ", "tomorrow"):
            if re.search(rf"\b{word.strip()}\b(?!s| früh)", low):
                days.add((today + timedelta(days=1)).weekday())
    return Slot(frozenset(days), frozenset(parts))


def read_availability(text: str, today: date | None = None) -> Availability:
    """When a text says someone is available, phrase by phrase ("nur am Wochenende", "Samstagabend", "ab 17 Uhr",
    "passt nachmittags auf, abends lieber nicht"). Days joined by "und" share the time of day that follows them
    ("Montag und Dienstag abends")."""
    low = text.lower()
    if not _ANY_TIME_WORD.search(low):
        return Availability()
    return _read_phrases(low, today)


# a clock time in a wanted time ("um 18 Uhr", "18:30", "6pm"): for a search it names a part of the day; in what
# people write about themselves only "ab 18 Uhr" does (_HOUR), a bare hour there is too often something else
_CLOCK = re.compile(r"\b(\d{1,2})(?:[:.]\d\d)?\s*(?:uhr\b|h\b|(pm|am)\b)|\b(\d{1,2}):\d\d\b|\b(?:um|at)\s+(\d{1,2})\b")


def read_wanted(text: str, today: date | None = None) -> Availability:
    """A wanted time (search --when): read as availability is, and a clock time also names its part of the day
    ("morgen um 18 Uhr": tomorrow evening)."""
    wanted = read_availability(text, today)
    hours = []
    for match in _CLOCK.finditer(text.lower()):
        hour = int(match.group(1) or match.group(3) or match.group(4))
        hours.append(hour + 12 if match.group(2) == "pm" and hour < 12 else hour)
    parts = frozenset(_hour_part(h) for h in hours if h < 24)
    if not parts:
        return wanted
    if not wanted.slots:
        return replace(wanted, slots=(Slot(frozenset(), parts),))
    return replace(wanted, slots=tuple(s if s.parts else Slot(s.days, parts) for s in wanted.slots))


def _read_phrases(low: str, today: date | None) -> Availability:
    slots: list[Slot] = []
    excluded: list[Slot] = []
    pieces = _PHRASE_BREAK.split(low)
    joins = [bool(_JOINING.fullmatch(m.group(0))) for m in _PHRASE_BREAK.finditer(low)]
    found = [(_slot(piece, today), bool(_NEGATION.search(_NOT_A_NEGATION.sub(" ", piece))))
             if _ANY_TIME_WORD.search(piece) else (_NO_SLOT, False) for piece in pieces]
    for i, (slot, negated) in enumerate(found):
        if not (slot.days or slot.parts):
            continue
        if slot.days and not slot.parts and i + 1 < len(found) and joins[i]:
            following = found[i + 1][0]
            if following.days and following.parts:
                slot = Slot(slot.days, following.parts)
        (excluded if negated else slots).append(slot)
    return Availability(tuple(dict.fromkeys(slots)), tuple(dict.fromkeys(excluded)), bool(FLEXIBLE.search(low)))


def availability_fit(wanted: Availability, offered: Availability) -> str:
    """'fits', 'contradicts' or 'unknown': does what a person says about their time fit the wanted time?"""
    if not wanted.slots or not offered.known:
        return "unknown"
    if any(_inside(w, x) for w in wanted.slots for x in offered.excluded):
        return "contradicts"
    if offered.flexible:
        return "fits"
    if not offered.slots:
        return "unknown"
    return "fits" if any(w.overlaps(s) for w in wanted.slots for s in offered.slots) else "contradicts"


def _inside(wanted: Slot, excluded: Slot) -> bool:
    """The wanted time falls within what someone excludes ("abends lieber nicht" excludes "Mittwochabend", but
    "nicht sonntags" does not exclude "am Wochenende")."""
    return ((not excluded.days or bool(wanted.days) and wanted.days <= excluded.days)
            and (not excluded.parts or bool(wanted.parts) and wanted.parts <= excluded.parts))


# ---------------------------------------------------------------- a time said inside a query
_DAY_WORDS = "|".join(w for words in WEEKDAYS.values() for w in words)
_MONTHS = ("januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember"
           "|january|february|march|may|june|july|october|december")
_DAYPARTS = r"abend|morgen|vormittag|nachmittag|mittag|nacht"
_EN_PARTS = r"mornings?|afternoons?|evenings?|nights?"
# one time phrase: optional leading words ("am", "on", "this", "jeden"), then a day, a part of day or both
_TIME_CORE = (
    rf"(?:(?:{_DAY_WORDS})(?:{_DAYPARTS})?s?(?:\s+(?:{_DAYPARTS})s?|\s+(?:{_EN_PARTS}))?"
    rf"|(?:heute|morgen|übermorgen)(?:\s+(?:früh|{_DAYPARTS})s?)?"
    rf"|(?:{_DAYPARTS})s"
    rf"|wochenende|weekends?|werktags|wochentags|unter der woche|weekdays|during the week"
    rf"|tonight|today|tomorrow(?:\s+(?:{_EN_PARTS}))?|in the (?:{_EN_PARTS})|at night"
    # periods and dates: they weigh when, never what ("ab Januar", "diese Woche", "in zwei Wochen", "Feierabend")
    rf"|(?:diese[rn]?|nächste[rn]?|naechste[rn]?|kommende[rn]?|this|next|coming)\s+(?:woche|week|monat|month)"
    rf"|(?:ab|bis|im|ende|anfang|mitte|from|by|until|in|early|end of|mid)\s+(?:{_MONTHS})"
    rf"|in\s+(?:\d+|einer|einem|zwei|drei|vier|ein paar|a|one|two|three|four|a few)\s+"
    rf"(?:tag|tagen|woche|wochen|monat|monaten|days?|weeks?|months?)"
    rf"|(?:nach\s+)?feierabend|nach der arbeit|after work)"
)
_LEAD = r"(?:(?:am|an|im|in|on|at|over|this|next|every|diesen|dieses|diese|nächsten|nächste|kommenden|jeden|übers|über das|the)\s+)*"
_TIME_PHRASE = re.compile(rf"(?<!\w){_LEAD}{_TIME_CORE}(?!\w)", re.IGNORECASE)


def time_said(query: str) -> str | None:
    """The days or times of day a query names ("Kind hat Fieber am Wochenende" -> "am Wochenende"), if any."""
    spans = [m.group(0).strip() for m in _TIME_PHRASE.finditer(query)]
    return " ".join(spans) or None


def without_time(query: str) -> str:
    """The query with the days and times it names taken out ("wer passt dienstags abends auf mein Kind auf" ->
    "wer passt auf mein Kind auf"): what is needed, not when."""
    return " ".join(_TIME_PHRASE.sub(" ", query).split())
