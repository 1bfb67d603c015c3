"""Time expressions ("bis März", "nächste Woche", "ASAP", "by May", "2027-03-01") and availability.

Dates come from dateparser (German and English, relative to today, preferring the future); this module only
adds what dateparser leaves to the caller: range words ("bis", "ab", "by", "from"), "Anfang/Mitte/Ende",
urgency ("ASAP", "dringend"), the weekend, and a few holidays (Easter via dateutil).

Availability ("nur am Wochenende", "abends", "kommt kurzfristig") is matched against a wanted time
("Samstagabend") by weekday and part of day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
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
_DAYPART_SUFFIX = re.compile(r"(?<=\w)(abend|morgen|vormittag|nachmittag|mittag|nacht)s?\b|\s+(abends?|morgens?|vormittags?|"
                             r"nachmittags?|nachts?|evening|morning|afternoon|night)\b")
PART_OF_PERIOD = {"anfang": "start", "beginning of": "start", "early": "start", "mitte": "mid", "mid": "mid",
                  "ende": "end", "end of": "end", "late": "end"}


@dataclass(frozen=True)
class When:
    text: str
    start: date | None
    end: date | None

    def to_json(self) -> dict:
        return {"when": self.text, "from": self.start.isoformat() if self.start else None,
                "until": self.end.isoformat() if self.end else None}


def _holidays(year: int) -> dict[str, tuple[date, date]]:
    from dateutil.easter import easter

    e = easter(year)
    return {
        "ostern": (e - timedelta(days=2), e + timedelta(days=1)), "easter": (e - timedelta(days=2), e + timedelta(days=1)),
        "pfingsten": (e + timedelta(days=49), e + timedelta(days=50)),
        "weihnachten": (date(year, 12, 24), date(year, 12, 26)), "christmas": (date(year, 12, 24), date(year, 12, 26)),
        "silvester": (date(year, 12, 31), date(year, 12, 31)), "new year": (date(year, 1, 1), date(year, 1, 1)),
        "neujahr": (date(year, 1, 1), date(year, 1, 1)),
    }


@lru_cache(maxsize=4)
def _date_parser(today: date):
    """One dateparser per day (building one costs ~10 ms; an import may parse thousands of dates)."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["de", "en"], settings={
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
        "RETURN_TIME_AS_PERIOD": True, "DATE_ORDER": "DMY",
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


@lru_cache(maxsize=4096)  # an import repeats the same few whens ("bis März") thousands of times
def _parse_range(text: str, today: date) -> tuple[date, date] | None:
    """The period a plain expression names ("März" -> all of March, "morgen" -> tomorrow), or None."""
    for name, (first, last) in _holidays(today.year).items():
        if name in text:
            if last < today:
                first, last = _holidays(today.year + 1)[name]
            return first, last
    if text in ("wochenende", "weekend", "this weekend", "am wochenende"):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        return saturday, saturday + timedelta(days=1)
    if text in SPECIAL_PERIODS:
        last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
        return last - timedelta(days=6), last
    data = _date_parser(today).get_date_data(text)
    if data.date_obj is None:
        return None
    return _period_range(data.date_obj.date(), data.period or "day")


def parse_when(text: str, today: date | None = None, source: str | None = None, line: int | None = None) -> When:
    """A when-expression as a date range (open at one end for "bis …"/"ab …"); InputError if not understood."""
    today = today or date.today()
    raw = text.strip()
    norm = " ".join(raw.lower().replace(",", " ").split())
    if not norm:
        raise InputError("empty time expression", source, line)
    if norm in URGENT or norm.rstrip("!") in URGENT:
        return When(raw, today, today + timedelta(days=URGENT_DAYS))
    if norm in ("heute", "today"):
        return When(raw, today, today)
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
    special = _parse_range(norm, today) if norm in SPECIAL_PERIODS else None
    part = None
    for word, which in ({} if special else PART_OF_PERIOD).items():
        if norm.startswith(word + " "):
            part, norm = which, norm[len(word) + 1:]
            break
    words = norm.split()
    while len(words) > 1 and words[0] in DROP_WORDS:
        words = words[1:]
    norm = _DAYPART_SUFFIX.sub("", " ".join(words)).strip()  # "Samstagabend" -> "samstag"
    found = special or (_parse_range(norm, today) if norm else None)
    if found is None:
        raise InputError(
            f"cannot understand the time '{raw}' (try e.g. 'bis März', 'nächste Woche', 'ASAP', '2027-03-01')",
            source, line,
        )
    first, last = found
    if part == "start":
        last = min(last, first + timedelta(days=9))
    elif part == "mid":
        middle = first + (last - first) / 2
        first, last = middle - timedelta(days=5), middle + timedelta(days=5)
    elif part == "end":
        first = max(first, last - timedelta(days=9))
    if mode == "until":
        return When(raw, None, last)
    if mode == "from":
        return When(raw, first, None)
    return When(raw, first, last)


# ---------------------------------------------------------------- availability
WEEKDAYS = {  # matched as word starts, so "Samstagabend" and "samstags" count
    0: ("montag", "monday"), 1: ("dienstag", "tuesday"), 2: ("mittwoch", "wednesday"), 3: ("donnerstag", "thursday"),
    4: ("freitag", "friday"), 5: ("samstag", "sonnabend", "saturday"), 6: ("sonntag", "sunday"),
}
WEEKEND = re.compile(r"wochenende|weekend")
WORKDAYS = re.compile(r"unter der woche|werktag|wochentag|weekday|during the week|\bmo\s*[-–]\s*fr\b")
PARTS = {
    "morning": re.compile(r"morgens\b|morgen früh|vormittag|\bfrüh\b|morning"),
    "midday": re.compile(r"(?<!vor)(?<!nach)mittags?\b|lunch|\bnoon"),
    "afternoon": re.compile(r"nachmittag|afternoon|nach der schule|after school"),
    "evening": re.compile(r"abend|evening|tonight"),
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
_DAYPARTS = r"abend|morgen|vormittag|nachmittag|mittag|nacht"
_EN_PARTS = r"mornings?|afternoons?|evenings?|nights?"
# one time phrase: optional leading words ("am", "on", "this", "jeden"), then a day, a part of day or both
_TIME_CORE = (
    rf"(?:(?:{_DAY_WORDS})(?:{_DAYPARTS})?s?(?:\s+(?:{_DAYPARTS})s?|\s+(?:{_EN_PARTS}))?"
    rf"|(?:heute|morgen|übermorgen)(?:\s+(?:früh|{_DAYPARTS})s?)?"
    rf"|(?:{_DAYPARTS})s"
    rf"|wochenende|weekends?|werktags|wochentags|unter der woche|weekdays|during the week"
    rf"|tonight|today|tomorrow(?:\s+(?:{_EN_PARTS}))?|in the (?:{_EN_PARTS})|at night)"
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
