"""Reading a query: what is needed, when, and whom it names, each for its own signal.

- the days and times it names ("am Wochenende", "morgen früh", "diese Woche") weigh availability only;
- urgency and filler ("dringend!!!", "bitte", "sofort", "ASAP", "help") weigh nothing;
- a word that is someone's name ("Noahs Zimmer", "für Elif") names a person: it is no part of what is needed, and a
  person is found by name only when the query is that name (rank/ranker.py, index/names.py);
- a phone number or e-mail address finds the person it belongs to.
What is left is the content, which the vectors, the words and the background knowledge are asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..index.names import RELATION_WORDS, TITLES
from ..text import fold_name
from ..when import time_said, without_time

# Words that say how badly or how politely something is needed, not what: they neither add nor subtract.
_URGENCY = re.compile(
    r"(?<!\w)(?:so schnell wie möglich|so schnell wie moeglich|as soon as possible|schnellstmöglich|schnellstens"
    r"|ganz dringend|sehr dringend|super dringend|dringendst|dringend|eilig|eilt|sofort|umgehend|asap|a\.s\.a\.p\.?"
    r"|jetzt gleich|jetzt|right now|notfallmäßig"
    r"|bitte bitte|bitte|bittebitte|pls|plz|please|urgently|urgent|emergency help|help me|help|schnell"
    r"|hilfe(?=\s*[!,:]))(?!\w)",
    re.IGNORECASE)
_SHOUTING = re.compile(r"[!¡]+|\?{2,}")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a number people write: digits with spaces, slashes, dots, dashes or brackets, optionally a leading + (6+ digits)
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ()./-]{4,}\d(?!\w)")
_WORD = re.compile(r"[^\W\d_]+(?:['’]s)?", re.UNICODE)
# words that only ask, with nothing asked for ("hilfe", "kennt jemand wen?", "need someone")
_ASKING_ONLY = frozenset(
    "hilfe help jemand jemanden wer wen kennt kennst weiß weiss brauche brauchen brauch suche suchen gesucht need "
    "needed needs someone somebody anyone anybody looking for who know knows wir ich i we me mir uns hat hast "
    "gibt es hier einen eine ein a an is there any "
    # … or only how to reach whom it names ("Oma Renate anrufen", "Nummer von Frau Vogel")
    "anrufen anruf nummer telefonnummer handynummer telefon handy kontakt kontaktdaten adresse mail email e-mail "
    "erreichen erreiche schreiben call phone number contact of von".split())
# words that stand beside a name and go with it ("Frau Vogel", "Oma Renate", "Noahs Mama")
_NAME_COMPANIONS = TITLES | RELATION_WORDS | {"von", "vom", "of", "die", "der", "den", "dem", "unsere", "unser"}


@dataclass(frozen=True)
class Reading:
    typed: str  # the query as typed
    content: str  # what is needed: without its time, urgency and the names in it ("" if nothing is left)
    time: str | None  # the days or times it names
    contact: str | None = None  # a phone number (phone_key) or e-mail address (email_key) it quotes
    named: tuple[str, ...] = ()  # the words of it that name people

    @property
    def name_query(self) -> str:
        """What is looked up as a name: the words that name someone when nothing else is asked ("Oma Renate
        anrufen"), else the query as typed (a name that is part of a need finds nobody by name)."""
        return " ".join(self.named) if self.named and not self.content else self.typed

    @property
    def asks_nothing(self) -> bool:
        """Neither a need nor a person: only urgency and asking words ("hilfe!!!", "ASAP", "kennt jemand wen?")."""
        return not self.content and self.contact is None and not self.named


def read_query(query: str, is_given_name: Callable[[str], bool] = lambda word: False,
               is_known_word: Callable[[str], bool] = lambda word: False) -> Reading:
    """Split a query into what is needed, when and whom it names. is_given_name(folded word): does it name
    someone in the network; is_known_word(folded word): is it a word of needs and roles (then it stays content
    even if someone is called so: "Koch", "Sommer")."""
    from ..phones import email_key, phone_key

    time = time_said(query)
    rest = without_time(query) if time else query
    contact = None
    email = _EMAIL.search(rest)
    if email:
        contact, rest = email_key(email.group(0)), rest.replace(email.group(0), " ")
    else:
        for found in _PHONE.finditer(rest):
            if sum(c.isdigit() for c in found.group(0)) >= 6:
                contact, rest = phone_key(found.group(0)), rest.replace(found.group(0), " ")
                break
    rest = _SHOUTING.sub(" ", _URGENCY.sub(" ", rest))
    rest, named = _without_names(rest, is_given_name, is_known_word)
    content = " ".join(rest.split()).strip(" ,;:-–.")
    if not re.search(r"[^\W_]", content) or _only_companions(content) or \
            all(w in _ASKING_ONLY for w in re.findall(r"\w+", content.lower())):
        content = ""
    return Reading(query, content, time, contact, named)


def _without_names(text: str, is_given_name, is_known_word) -> tuple[str, tuple[str, ...]]:
    """The text without the words that name people, and those words (with a title or relation beside them)."""
    from ..index.lexical import stopwords

    stops = stopwords()
    words = list(_WORD.finditer(text))
    named = set()
    for i, match in enumerate(words):
        folded = fold_name(match.group(0))
        if len(folded) >= 2 and folded not in _NAME_COMPANIONS and folded not in stops and is_given_name(folded) \
                and not is_known_word(folded):
            named.add(i)
    if not named:
        # "Elias Mama": the shape of someone's alias, for a name nobody has; a person, not a need
        folded = fold_name(text).split()
        if len(folded) == 2 and folded[1] in RELATION_WORDS and folded[0].endswith("s") and not is_known_word(folded[0]):
            return "", (text,)
        return text, ()
    # the titles and relations beside a name go with it ("Frau Vogel", "Noahs Mama", "Oma Renate")
    for i in sorted(named):
        for j in (i - 1, i + 1):
            if 0 <= j < len(words) and j not in named and fold_name(words[j].group(0)) in _NAME_COMPANIONS:
                named.add(j)
    out, at = [], 0
    for i in sorted(named):
        out.append(text[at:words[i].start()])
        at = words[i].end()
    out.append(text[at:])
    return " ".join("".join(out).split()), tuple(words[i].group(0) for i in sorted(named))


def _only_companions(content: str) -> bool:
    words = fold_name(content).split()
    return bool(words) and all(w in _NAME_COMPANIONS for w in words)
