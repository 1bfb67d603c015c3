"""Forgiving a query's spelling (semnetz/rank/spelling.py) against the words a network uses, and names typed
without their letters (semnetz/text.py fold_name) — with small hand-made word lists and the fake encoder."""

import pytest

from semnetz.index.names import NameMatcher
from semnetz.index.vocabulary import WordList
from semnetz.rank.spelling import Speller
from semnetz.text import fold, fold_name


def speller(*words: str, users=None) -> Speller:
    keys = {fold(w): w.lower() for w in words}
    counts = {k: (users or {}).get(k, 1) for k in keys}
    return Speller([WordList.of(counts, keys)])


@pytest.mark.parametrize("typed,searched", [
    ("brauche Klemptner", "brauche Klempner"),  # one letter too many
    ("Hanndwerker gesucht", "Handwerker gesucht"),
    ("Waserhahn tropft", "Wasserhahn tropft"),  # one missing
    ("Kinderärtzin", "Kinderärztin"),  # two swapped
    ("Aerztin", "Ärztin"),  # an umlaut written out
])
def test_a_word_nobody_uses_is_read_as_the_known_word_it_is_one_or_two_edits_from(typed, searched):
    s = speller("Klempner", "Handwerker", "Wasserhahn", "tropft", "Kinderärztin", "Ärztin", "gesucht")
    assert s.respell(typed).text == searched


def test_known_words_short_words_stop_words_and_common_words_are_left_alone():
    s = speller("Klempner", "Kleber")
    for query in ("Klempner", "Kleber", "Klee", "und oder", "my temperature"):
        assert not s.respell(query).changed, query


def test_among_equally_close_words_the_one_more_people_use_wins():
    s = speller("Maler", "Mauer", users={"maler": 5, "mauer": 1})
    assert s.respell("Mauler").text == "Maler"  # one edit from either


def test_a_compound_nobody_uses_is_searched_by_its_parts():
    s = speller("Wasserhahn", "Reparatur")
    spelled = s.respell("Wasserhahnreparatur")
    assert spelled.parts == ["wasserhahn", "reparatur"]
    assert "reparatur" in spelled.words_text()


@pytest.mark.parametrize("typed,written", [
    ("Yilmaz", "Mehmet Yılmaz"), ("Jorg Muller", "Jörg Müller-Lüdenscheidt"),
    ("Joerg Mueller", "Jörg Müller-Lüdenscheidt"), ("Lukasz Wojcik", "Łukasz Wójcik"), ("Strasse", "Straße"),
])
def test_names_fold_with_their_letters_transliterated(typed, written):
    matcher = NameMatcher([(1, "a", "Mehmet Yılmaz", []), (2, "b", "Jörg Müller-Lüdenscheidt", []),
                           (3, "c", "Łukasz Wójcik", []), (4, "d", "Anna Straße", [])])
    hits = matcher.match(typed)
    assert hits and written.split()[-1] in hits[0].matched
    assert fold_name(typed).split()[0] in fold_name(written)


def test_the_network_s_own_words_are_known(run, small_network):
    run("import", small_network)
    searched = run("Stekdosen", "--json", "-k", "1")
    assert searched.exit_code == 0 and '"id": "e1"' in searched.stdout  # Steckdosen, Jonas Weber's offer
