"""Time expressions and availability (semnetz/when.py), relative to a fixed day."""

from datetime import date

import pytest

from semnetz.errors import InputError
from semnetz.when import availability_fit, parse_when, read_availability, time_said, without_time

TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize("text,start,end", [
    ("bis März", None, date(2027, 3, 31)),
    ("by May", None, date(2027, 5, 31)),
    ("ab Januar", date(2027, 1, 1), None),
    ("from September", date(2027, 9, 1), None),
    ("nächste Woche", date(2026, 11, 30), date(2026, 12, 6)),
    ("next week", date(2026, 11, 30), date(2026, 12, 6)),
    ("morgen", date(2026, 11, 25), date(2026, 11, 25)),
    ("tomorrow", date(2026, 11, 25), date(2026, 11, 25)),
    ("ASAP", date(2026, 11, 24), date(2026, 11, 26)),
    ("dringend", date(2026, 11, 24), date(2026, 11, 26)),
    ("bis Freitag", None, date(2026, 11, 27)),
    ("diesen Samstag", date(2026, 11, 28), date(2026, 11, 28)),
    ("Samstagabend", date(2026, 11, 28), date(2026, 11, 28)),
    ("am Wochenende", date(2026, 11, 28), date(2026, 11, 29)),
    ("Ende Februar", date(2027, 2, 19), date(2027, 2, 28)),
    ("Anfang April", date(2027, 4, 1), date(2027, 4, 10)),
    ("in August", date(2027, 8, 1), date(2027, 8, 31)),
    ("2027-03-01", date(2027, 3, 1), date(2027, 3, 1)),
    ("13.03.2027", date(2027, 3, 13), date(2027, 3, 13)),
    ("bis Ende des Monats", None, date(2026, 11, 30)),
    ("before Easter", None, date(2027, 3, 29)),
])
def test_parse_when(text, start, end):
    when = parse_when(text, TODAY)
    assert (when.start, when.end) == (start, end)


@pytest.mark.parametrize("text", ["irgendwann mal", "blah", "bis zum Sankt Nimmerleinstag"])
def test_unparseable_time_is_a_clear_error(text):
    with pytest.raises(InputError, match=f"cannot understand the time '{text}'"):
        parse_when(text, TODAY, "people.jsonl", 7)


def test_error_names_file_and_line():
    with pytest.raises(InputError) as info:
        parse_when("blah", TODAY, "people.jsonl", 7)
    assert str(info.value).startswith("people.jsonl:7: cannot understand the time 'blah'")


@pytest.mark.parametrize("offered,verdict", [
    ("nur am Wochenende", "fits"),
    ("Babysitten am Wochenende, auch Samstagabend", "fits"),
    ("abends erreichbar", "fits"),
    ("kommt meist kurzfristig", "fits"),
    ("nur vormittags", "contradicts"),
    ("unter der Woche ab 18 Uhr", "contradicts"),
    ("Babysitten unter der Woche", "contradicts"),
    ("Elektriker", "unknown"),
])
def test_availability_against_saturday_evening(offered, verdict):
    wanted = read_availability("Samstagabend", TODAY)
    assert availability_fit(wanted, read_availability(offered)) == verdict


@pytest.mark.parametrize("offered, verdict", [
    ("passt nachmittags auf, abends lieber nicht", "contradicts"),  # what someone does not do
    ("babysits in the evenings and at weekends", "fits"),  # evenings on any day, or weekends
    ("Babysitten am Wochenende, auch Samstagabend", "contradicts"),
    ("Montag und Mittwoch abends", "fits"),  # the days share the time of day
    ("kommt kurzfristig, aber nicht mittwochs", "contradicts"),
    ("not on weekends, evenings are fine", "fits"),
    ("auch abends, kein Problem", "fits"),  # "kein Problem" is no negation
    ("nicht am Wochenende", "unknown"),  # says only when not; Wednesday is not excluded
])
def test_availability_phrase_by_phrase_against_wednesday_evening(offered, verdict):
    wanted = read_availability("Mittwochabend", TODAY)
    assert availability_fit(wanted, read_availability(offered)) == verdict


def test_vormittags_is_not_midday_and_morgen_is_not_morning():
    assert read_availability("nur vormittags").parts == {"morning"}
    assert read_availability("morgen", TODAY).parts == set()
    assert read_availability("morgen", TODAY).days == {2}


@pytest.mark.parametrize("query, said", [
    ("Kind hat Fieber am Wochenende", "am Wochenende"),
    ("wer passt Samstagabend auf die Kinder auf", "Samstagabend"),
    ("jemand, der dienstags abends auf mein Kind aufpasst", "dienstags abends"),
    ("looking for a babysitter on Friday night", "on Friday night"),
    ("need a plumber tomorrow morning", "tomorrow morning"),
    ("Elektriker morgen früh", "morgen früh"),
    # words that only contain a day or a part of day are not times
    ("Abendessen für 10 Leute", None),
    ("Wochenendhaus zu vermieten", None),
    ("Morgenmuffel", None),
    ("Sonntagsbrötchen", None),
    ("brauche Handwerker", None),
])
def test_time_said_in_a_query(query, said):
    assert time_said(query) == said
    if said is None:
        assert without_time(query) == query


def test_without_time_leaves_what_is_needed():
    assert without_time("jemand, der dienstags abends auf mein Kind aufpasst") == "jemand, der auf mein Kind aufpasst"
    assert without_time("need a plumber tomorrow morning") == "need a plumber"


def test_texts_without_a_time_word_are_skipped_only_when_they_say_nothing_about_time():
    """read_availability skips texts without any time word; the full reading must agree on every real text."""
    import json

    from semnetz import when

    from .conftest import DATA

    texts = []
    for name in ("people.jsonl", "queries.jsonl", "queries_heldout.jsonl", "queries_check.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts += [row.get("text", ""), row.get("q", ""), *row.get("offers", [])]
    texts += ["Sonnabends frei", "after 6pm", "nach 18 Uhr", "rund um die Uhr", "24/7 erreichbar", "tonight only",
              "morgen früh", "lunch break", "werktags", "Mo - Fr"]
    for text in texts:
        full = when._read_phrases(text.lower(), None)
        if full.known:
            assert when._ANY_TIME_WORD.search(text.lower()), text
