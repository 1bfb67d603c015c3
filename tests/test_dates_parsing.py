"""Dates as people write them (semnetz/when.py parse_when), relative to fixed days, never the real date."""

from datetime import date

import pytest

from semnetz.errors import InputError
from semnetz.when import parse_when

WED = date(2026, 12, 2)  # a Wednesday in December
MID = date(2026, 6, 17)  # a Wednesday in the middle of the year
MON = date(2026, 11, 30)  # a Monday


def span(text, today):
    when = parse_when(text, today)
    return when.start, when.end


def day(d):
    return d, d


@pytest.mark.parametrize("text,today,expected", [
    # days relative to today; a part of day does not change the date
    ("übermorgen", WED, day(date(2026, 12, 4))),
    ("morgen", WED, day(date(2026, 12, 3))),
    ("morgen früh", WED, day(date(2026, 12, 3))),
    ("morgen Abend", WED, day(date(2026, 12, 3))),
    ("heute", WED, day(WED)),
    ("tomorrow", WED, day(date(2026, 12, 3))),
    ("day after tomorrow", WED, day(date(2026, 12, 4))),
    ("übermorgen", MID, day(date(2026, 6, 19))),
    ("morgen früh", MID, day(date(2026, 6, 18))),
    # a time of day next to a date is left out
    ("morgen 18 Uhr", WED, day(date(2026, 12, 3))),
    ("morgen um 10", WED, day(date(2026, 12, 3))),
    ("morgen von 10 bis 12 Uhr", WED, day(date(2026, 12, 3))),
    ("heute bis 18 Uhr", WED, day(WED)),
])
def test_days_relative_to_today(text, today, expected):
    assert span(text, today) == expected


@pytest.mark.parametrize("text,today,expected", [
    # without a year: the next such date on or after today
    ("01.03.", WED, day(date(2027, 3, 1))),
    ("1.3.", WED, day(date(2027, 3, 1))),
    ("01.03", WED, day(date(2027, 3, 1))),
    ("01.03.", MID, day(date(2027, 3, 1))),
    ("17.06.", MID, day(MID)),  # today counts
    ("16.06.", MID, day(date(2027, 6, 16))),
    ("02.12.", WED, day(WED)),
    ("24.12.", WED, day(date(2026, 12, 24))),
    ("25/12", WED, day(date(2026, 12, 25))),
    ("29.2.", WED, day(date(2028, 2, 29))),  # the next 29 February
    ("15.", WED, day(date(2026, 12, 15))),  # a day of the month
    ("1.", WED, day(date(2027, 1, 1))),
    ("3. März", WED, day(date(2027, 3, 3))),
    ("17. Juni", MID, day(MID)),  # dateparser alone says next year
    # with a year
    ("1.3.2027", WED, day(date(2027, 3, 1))),
    ("01.03.2027", WED, day(date(2027, 3, 1))),
    ("1.3.27", WED, day(date(2027, 3, 1))),
    ("1.3.27", MID, day(date(2027, 3, 1))),
    ("2027-03-01", WED, day(date(2027, 3, 1))),
    # "bis" and "ab" keep meaning until and from
    ("bis 01.03.", WED, (None, date(2027, 3, 1))),
    ("ab 01.03.", WED, (date(2027, 3, 1), None)),
    ("bis 1.3.27", WED, (None, date(2027, 3, 1))),
    ("bis zum 15.", WED, (None, date(2026, 12, 15))),
    ("ab dem 01.03.2027", MID, (date(2027, 3, 1), None)),
    # a weekday with the date: the date, checked
    ("Samstag, 5.12.", WED, day(date(2026, 12, 5))),
    ("Dienstag 8. Dezember", WED, day(date(2026, 12, 8))),
])
def test_numeric_and_written_dates(text, today, expected):
    assert span(text, today) == expected


@pytest.mark.parametrize("text,today,expected", [
    ("nächsten Dienstag", WED, date(2026, 12, 8)),
    ("kommenden Montag", WED, date(2026, 12, 7)),
    ("am Dienstag", WED, date(2026, 12, 8)),
    ("next Tuesday", WED, date(2026, 12, 8)),
    ("this Friday", WED, date(2026, 12, 4)),
    ("diesen Freitag", WED, date(2026, 12, 4)),
    ("Mittwoch", WED, date(2026, 12, 9)),  # said on a Wednesday: the next one, not today
    ("nächsten Mittwoch", WED, date(2026, 12, 9)),
    ("nächsten Dienstag", MON, date(2026, 12, 1)),  # said on a Monday: the day after
    ("nächsten Samstagabend", WED, date(2026, 12, 5)),
    ("nächste Woche Dienstag", WED, date(2026, 12, 8)),
    ("Dienstag nächster Woche", MON, date(2026, 12, 8)),
    ("nächsten Dienstag", MID, date(2026, 6, 23)),
    ("kommenden Montag", MID, date(2026, 6, 22)),
    ("this Friday", MID, date(2026, 6, 19)),
])
def test_weekdays_are_the_next_one_after_today(text, today, expected):
    assert span(text, today) == day(expected)


@pytest.mark.parametrize("text,today,expected", [
    ("diese Woche", WED, (date(2026, 11, 30), date(2026, 12, 6))),
    ("this week", WED, (date(2026, 11, 30), date(2026, 12, 6))),
    ("diese Woche", MID, (date(2026, 6, 15), date(2026, 6, 21))),
    ("nächste Woche", WED, (date(2026, 12, 7), date(2026, 12, 13))),
    ("übernächste Woche", WED, (date(2026, 12, 14), date(2026, 12, 20))),
    # the end of a week is its last three days, the start its first three
    ("Ende nächster Woche", WED, (date(2026, 12, 11), date(2026, 12, 13))),
    ("end of next week", WED, (date(2026, 12, 11), date(2026, 12, 13))),
    ("Anfang nächster Woche", WED, (date(2026, 12, 7), date(2026, 12, 9))),
    ("Ende der Woche", WED, (date(2026, 12, 4), date(2026, 12, 6))),
    ("bis Ende nächster Woche", WED, (None, date(2026, 12, 13))),
    ("Ende nächster Woche", MID, (date(2026, 6, 26), date(2026, 6, 28))),
    # months keep their 10 days
    ("Ende Februar", WED, (date(2027, 2, 19), date(2027, 2, 28))),
    ("Anfang nächsten Monats", WED, (date(2027, 1, 1), date(2027, 1, 10))),
    ("Mitte Juni", MID, (date(2026, 6, 10), date(2026, 6, 20))),
    # the month said in that month is this month
    ("bis Juni", MID, (None, date(2026, 6, 30))),
    ("Dezember", WED, (date(2026, 12, 1), date(2026, 12, 31))),
    # a year: a quarter-ish
    ("Anfang nächsten Jahres", WED, (date(2027, 1, 1), date(2027, 3, 31))),
    ("Ende 2027", WED, (date(2027, 10, 1), date(2027, 12, 31))),
])
def test_weeks_months_and_their_parts(text, today, expected):
    assert span(text, today) == expected


@pytest.mark.parametrize("text,today,expected", [
    ("in 3 Tagen", WED, day(date(2026, 12, 5))),
    ("in 3 days", MID, day(date(2026, 6, 20))),
    # weeks and months ahead: the Monday-to-Sunday week that day falls in
    ("in 2 Wochen", WED, (date(2026, 12, 14), date(2026, 12, 20))),
    ("in zwei Wochen", WED, (date(2026, 12, 14), date(2026, 12, 20))),
    ("in 2 weeks", WED, (date(2026, 12, 14), date(2026, 12, 20))),
    ("in einer Woche", WED, (date(2026, 12, 7), date(2026, 12, 13))),
    ("in a month", WED, (date(2026, 12, 28), date(2027, 1, 3))),  # 2 January 2027 is a Saturday
    ("in einem Monat", MID, (date(2026, 7, 13), date(2026, 7, 19))),
    ("in 2 Wochen", MID, (date(2026, 6, 29), date(2026, 7, 5))),
    ("in einem Jahr", WED, (date(2027, 12, 1), date(2027, 12, 31))),  # a year ahead: that month
])
def test_in_some_days_weeks_months(text, today, expected):
    assert span(text, today) == expected


@pytest.mark.parametrize("text,today,expected", [
    ("vom 3.3. bis 10.3.", WED, (date(2027, 3, 3), date(2027, 3, 10))),
    ("vom 30.03. bis 10.04.", WED, (date(2027, 3, 30), date(2027, 4, 10))),
    ("3.–10. März", WED, (date(2027, 3, 3), date(2027, 3, 10))),
    ("3.-10. März", WED, (date(2027, 3, 3), date(2027, 3, 10))),
    ("3. bis 10. März", WED, (date(2027, 3, 3), date(2027, 3, 10))),
    ("between 3 and 10 March", WED, (date(2027, 3, 3), date(2027, 3, 10))),
    ("from 3 to 10 March", WED, (date(2027, 3, 3), date(2027, 3, 10))),
    ("vom 28.12. bis 5.1.", WED, (date(2026, 12, 28), date(2027, 1, 5))),  # over the new year
    ("vom 1.12. bis 10.12.", WED, (date(2026, 12, 1), date(2026, 12, 10))),  # already begun: this December
    ("vom 3.3. bis 10.3.2028", WED, (date(2028, 3, 3), date(2028, 3, 10))),  # the start takes the end's year
    ("ab 3.3. bis 10.3.", WED, (date(2027, 3, 3), date(2027, 3, 10))),
    ("zwischen Weihnachten und Neujahr", WED, (date(2026, 12, 24), date(2027, 1, 1))),
    ("morgen bis Ende nächster Woche", WED, (date(2026, 12, 3), date(2026, 12, 13))),
    ("Freitag bis Montag", WED, (date(2026, 12, 4), date(2026, 12, 7))),
    ("3.–10. Juli", MID, (date(2026, 7, 3), date(2026, 7, 10))),
    ("vom 10.6. bis 20.6.", MID, (date(2026, 6, 10), date(2026, 6, 20))),
])
def test_ranges(text, today, expected):
    assert span(text, today) == expected


@pytest.mark.parametrize("text,today,expected", [
    ("Ostern", WED, (date(2027, 3, 26), date(2027, 3, 29))),
    ("Ostern", MID, (date(2027, 3, 26), date(2027, 3, 29))),  # this year's is over
    ("Ostern 2028", WED, (date(2028, 4, 14), date(2028, 4, 17))),
    ("Weihnachten", WED, (date(2026, 12, 24), date(2026, 12, 26))),
    ("Silvester", WED, day(date(2026, 12, 31))),
    ("Neujahr", WED, day(date(2027, 1, 1))),
    ("Pfingsten", WED, (date(2027, 5, 16), date(2027, 5, 17))),
    ("Pfingsten", date(2026, 3, 1), (date(2026, 5, 24), date(2026, 5, 25))),
    ("Heiligabend", WED, day(date(2026, 12, 24))),
    ("Ostermontag", WED, day(date(2027, 3, 29))),
    ("easter monday", WED, day(date(2027, 3, 29))),
    ("bis Weihnachten", MID, (None, date(2026, 12, 26))),
])
def test_public_holidays_the_same_in_every_state(text, today, expected):
    assert span(text, today) == expected


@pytest.mark.parametrize("text", ["Osterferien", "Sommerferien", "Herbstferien", "Winterferien", "Pfingstferien",
                                  "in den Ferien", "bis zu den Sommerferien", "nach den Herbstferien",
                                  "school holidays", "during the school holidays", "summer holidays"])
def test_school_holidays_ask_for_dates(text):
    for today in (WED, MID):
        with pytest.raises(InputError) as info:
            parse_when(text, today, "people.jsonl", 3)
        message = str(info.value)
        assert message.startswith(f"people.jsonl:3: cannot understand the time '{text}'")
        assert "school holidays depend on the federal state" in message
        assert "vom 30.03. bis 10.04." in message


def test_the_dates_the_school_holiday_error_suggests_work():
    assert span("bis 10.04.", WED) == (None, date(2027, 4, 10))
    assert span("vom 30.03. bis 10.04.", WED) == (date(2027, 3, 30), date(2027, 4, 10))


@pytest.mark.parametrize("text", ["01:03", "10:30", "18 Uhr", "um 18 Uhr", "bis 18 Uhr", "ab 18 Uhr", "10am", "noon",
                                  "bis 10.30 Uhr", "von 10 bis 12 Uhr"])
def test_a_time_of_day_is_not_a_date(text):
    with pytest.raises(InputError, match=f"cannot understand the time '{text}': a time of day is not a date"):
        parse_when(text, WED)


@pytest.mark.parametrize("text,reason", [
    ("32.13.", "no such day"),
    ("31.04.2027", "no such day"),
    ("12/25", "no such day"),  # day first, as in Germany
    ("bis 5", "a number alone is no date"),
    ("Samstag, 6.12.", "06.12.2026 is a Sunday"),
])
def test_impossible_or_ambiguous_dates_say_why(text, reason):
    with pytest.raises(InputError, match=f"cannot understand the time '{text}': .*{reason}"):
        parse_when(text, WED)


@pytest.mark.parametrize("text", ["blah", "asdf qwer", "irgendwann", "in ein paar Tagen", "vom Montag bis blah",
                                  "nächstes Wochenende", "abends"])
def test_gibberish_is_an_error_with_examples(text):
    with pytest.raises(InputError, match=f"cannot understand the time '{text}' \\(try e.g. 'bis März'"):
        parse_when(text, WED)


def test_01_03_is_never_read_as_a_time_today():
    """dateparser alone reads "01.03." as 01:03 today; stored as "until today" that was silently wrong."""
    for today in (WED, MID, date(2027, 3, 1)):
        when = parse_when("bis 01.03.", today)
        assert when.end.month == 3 and when.end.day == 1 and when.end >= today
