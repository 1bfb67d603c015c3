"""The page's words in German and English: one catalogue, one language per request (from Accept-Language).

Templates say t("key", name=…) and never hold words of their own; tests/test_web_api.py checks that both
languages have the same keys and placeholders. What the library decides is said here in words: a search's verdict
and note by their keys (SearchResult.verdict, .note_key), an error by its key and values (ERRORS below; an English
page shows the library's own message, the words the CLI prints).
"""

from __future__ import annotations

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "decimal_point": ".",
        "date_format": "%Y-%m-%d",
        "skip": "Skip to content",
        "nav_label": "Main",
        "nav_ask": "Ask",
        "nav_people": "People",
        "nav_needs": "Needs",
        "footer": "Everything stays on this computer.",
        # asking
        "ask_title": "Who can help?",
        "ask_label": "What do you need?",
        "ask_hint": "For example “need a plumber” or “Babysitter on Saturday evening”.",
        "ask_button": "Ask",
        "results_heading": "People for “{q}”",
        "searched_as": "Searched for “{q}”.",
        "note": "Note: {note}",
        "nobody_yet": "Nobody in your network yet. Add people first.",
        "nothing_searched": "Nothing searched: there is no word to search for (only punctuation, single letters or "
                            "words like “and”). Say what you need, e.g. “need a plumber”.",
        "query_cut": "Your question is long: its first {limit} characters were searched.",
        "nobody_fits": "Nobody in your network fits “{q}”.",
        "closest_only": "Nobody in your network fits “{q}” well; the closest:",
        "confidence_good": "good fit",
        "confidence_maybe": "maybe",
        "confidence_closest": "closest",
        "confidence_weak": "weak",
        "how_sure": "How sure",
        "why": "Why",
        "why_name": "name: {why}",
        "why_alias": "known as: {why}",
        "why_phone": "phone: {why}",
        "why_email": "e-mail: {why}",
        "time_fits": "the time fits",
        "time_contradicts": "the time does not fit",
        "score": "score {score}",
        "reach": "How to reach them",
        "direct": "Direct contact.",
        "intro_ask": "Ask {introducer} to introduce you to {target}",
        "intro_chain": ", who knows {name}",
        "call": "{name}, call: {phone}",
        "write": "{name}, e-mail: {email}",
        "call_short": "Call: {phone}",
        "write_short": "E-mail: {email}",
        "edit_person": "Edit {name}",
        "edit_short": "Edit",
        # people
        "people_title": "People",
        "add_person": "Add a person",
        "all_people": "Everyone ({n})",
        "people_empty": "Nobody yet.",
        "field_name": "Name (required)",
        "field_text": "What they do, their situation, when they are available",
        "field_text_hint": "This or an offer is required.",
        "field_offers": "What they offer (one per line)",
        "field_aliases": "Other names, e.g. “Emily's mum” (one per line)",
        "field_tags": "Tags (separated by commas)",
        "field_phone": "Phone",
        "field_email": "E-mail",
        "field_via": "You know them through",
        "via_direct": "nobody: a direct contact",
        "add_button": "Add",
        "save_button": "Save",
        "person_title": "Edit {name}",
        "person_title_me": "Edit my details",
        "person_id": "id {id}",
        "added": "Added {name} ({id}).",
        "also_named": "There is also a {name}: {ids}.",
        "saved": "Saved.",
        "add_need_for": "Add a need of {name}",
        # needs and introductions
        "needs_title": "Needs and introductions",
        "add_need": "Add a need",
        "field_by": "Who needs it?",
        "by_me": "me",
        "me_name": "me",
        "need_heading_me": "My need: {need}",
        "field_need": "What is needed?",
        "field_when": "When? e.g. “next week”, “by March”, “ASAP” (optional)",
        "add_need_button": "Add the need",
        "open_needs": "Open needs and who could help",
        "no_open": "No open needs.",
        "need_heading": "{name}: {need}",
        "need_when": "When: {when}",
        "need_until": "until {date}",
        "need_from": "from {date}",
        "need_on": "on {date}",
        "no_proposal": "Nobody in your network fits this need yet.",
        "proposal": "{name} offers “{offer}”",
        "introduced_button": "I introduced {name}",
        "matched_needs": "Introduced: how did it go?",
        "no_matched": "No introductions waiting for an outcome.",
        "intro_line": "{name}: {status}",
        "intro_introduced": "introduced, waiting to hear",
        "intro_helped": "helped",
        "intro_not_helped": "did not help",
        "helped_button": "{name} helped",
        "not_helped_button": "{name} did not help",
        "closed_needs": "Fulfilled and expired ({n})",
        "status_open": "open",
        "status_matched": "introduced",
        "status_fulfilled": "fulfilled",
        "status_expired": "expired",
        "need_added": "Added the need.",
        "intro_recorded": "Noted: you introduced {name}.",
        "outcome_helped": "Noted: {name} helped. The need is fulfilled.",
        "outcome_not_helped": "Noted: {name} did not help. The need is open again.",
        # errors and access
        "error_heading": "That did not work",
        "error": "Error: {message}",
        "not_found": "There is no such page.",
        "token_title": "Access key needed",
        "token_needed": "This page needs the link with the access key that “semnetz serve” printed when it "
                        "started. Open that link again.",
        "token_set": "You are signed in on this device.",
        "continue": "Continue",
        "forbidden": "This form was sent from another site and was refused.",
        "invalid_request": "The page was sent something it cannot read. Go back and try again.",
        "too_large": "What was sent is too large for one person or one need. Shorten it and try again.",
        "server_failed": "Something went wrong on the computer that runs semnetz. Its window says more.",
        "wrong_host": "This address is not the one the server was started for. Open the link it printed.",
    },
    "de": {
        "decimal_point": ",",
        "date_format": "%d.%m.%Y",
        "skip": "Zum Inhalt springen",
        "nav_label": "Hauptmenü",
        "nav_ask": "Fragen",
        "nav_people": "Personen",
        "nav_needs": "Bedarfe",
        "footer": "Alles bleibt auf diesem Rechner.",
        "ask_title": "Wer kann helfen?",
        "ask_label": "Was brauchst du?",
        "ask_hint": "Zum Beispiel „brauche Handwerker“ oder „Babysitter am Samstagabend“.",
        "ask_button": "Fragen",
        "results_heading": "Passende Personen für „{q}“",
        "searched_as": "Gesucht nach „{q}“.",
        "note": "Hinweis: {note}",
        "nobody_yet": "Noch niemand in deinem Netzwerk. Füge zuerst Personen hinzu.",
        "nothing_searched": "Nichts gesucht: In der Frage steht kein Wort, nach dem sich suchen lässt (nur "
                            "Satzzeichen, einzelne Buchstaben oder Wörter wie „und“). Sag, was du brauchst, z. B. "
                            "„brauche Handwerker“.",
        "query_cut": "Deine Frage ist lang: gesucht wurde nach ihren ersten {limit} Zeichen.",
        "nobody_fits": "Niemand in deinem Netzwerk passt zu „{q}“.",
        "closest_only": "Niemand in deinem Netzwerk passt gut zu „{q}“; am nächsten dran:",
        "confidence_good": "passt gut",
        "confidence_maybe": "passt vielleicht",
        "confidence_closest": "am nächsten dran",
        "confidence_weak": "schwach",
        "how_sure": "Wie sicher",
        "why": "Warum",
        "why_name": "Name: {why}",
        "why_alias": "bekannt als: {why}",
        "why_phone": "Telefon: {why}",
        "why_email": "E-Mail: {why}",
        "time_fits": "die Zeit passt",
        "time_contradicts": "die Zeit passt nicht",
        "score": "Wert {score}",
        "reach": "So erreichst du sie",
        "direct": "Direkter Kontakt.",
        "intro_ask": "Bitte {introducer}, dich mit {target} bekannt zu machen",
        "intro_chain": "; {previous} kennt {name}",
        "call": "{name} anrufen: {phone}",
        "write": "{name} schreiben, E-Mail: {email}",
        "call_short": "Anrufen: {phone}",
        "write_short": "E-Mail: {email}",
        "edit_person": "{name} bearbeiten",
        "edit_short": "bearbeiten",
        "people_title": "Personen",
        "add_person": "Person hinzufügen",
        "all_people": "Alle ({n})",
        "people_empty": "Noch niemand.",
        "field_name": "Name (Pflichtfeld)",
        "field_text": "Was sie tun, ihre Lage, wann sie Zeit haben",
        "field_text_hint": "Dies oder ein Angebot muss ausgefüllt sein.",
        "field_offers": "Was sie anbieten (eins pro Zeile)",
        "field_aliases": "Andere Namen, z. B. „Emilys Mama“ (einer pro Zeile)",
        "field_tags": "Schlagwörter (mit Komma getrennt)",
        "field_phone": "Telefon",
        "field_email": "E-Mail",
        "field_via": "Du kennst sie über",
        "via_direct": "niemanden: direkter Kontakt",
        "add_button": "Hinzufügen",
        "save_button": "Speichern",
        "person_title": "{name} bearbeiten",
        "person_title_me": "Meine Angaben bearbeiten",
        "person_id": "Kennung {id}",
        "added": "{name} hinzugefügt ({id}).",
        "also_named": "Es gibt auch eine Person namens {name}: {ids}.",
        "saved": "Gespeichert.",
        "add_need_for": "Bedarf von {name} eintragen",
        "needs_title": "Bedarfe und Vorstellungen",
        "add_need": "Bedarf eintragen",
        "field_by": "Wer braucht es?",
        "by_me": "ich selbst",
        "me_name": "ich",
        "need_heading_me": "Mein Bedarf: {need}",
        "field_need": "Was wird gebraucht?",
        "field_when": "Wann? z. B. „nächste Woche“, „bis März“, „ASAP“ (optional)",
        "add_need_button": "Bedarf eintragen",
        "open_needs": "Offene Bedarfe und wer helfen könnte",
        "no_open": "Keine offenen Bedarfe.",
        "need_heading": "{name}: {need}",
        "need_when": "Wann: {when}",
        "need_until": "bis {date}",
        "need_from": "ab {date}",
        "need_on": "am {date}",
        "no_proposal": "Für diesen Bedarf passt noch niemand aus deinem Netzwerk.",
        "proposal": "{name} bietet „{offer}“",
        "introduced_button": "Ich habe {name} vorgestellt",
        "matched_needs": "Vorgestellt: wie ist es gelaufen?",
        "no_matched": "Keine Vorstellung wartet auf Rückmeldung.",
        "intro_line": "{name}: {status}",
        "intro_introduced": "vorgestellt, Rückmeldung steht aus",
        "intro_helped": "hat geholfen",
        "intro_not_helped": "hat nicht geholfen",
        "helped_button": "{name} hat geholfen",
        "not_helped_button": "{name} hat nicht geholfen",
        "closed_needs": "Erledigt und abgelaufen ({n})",
        "status_open": "offen",
        "status_matched": "vorgestellt",
        "status_fulfilled": "erledigt",
        "status_expired": "abgelaufen",
        "need_added": "Bedarf eingetragen.",
        "intro_recorded": "Notiert: du hast {name} vorgestellt.",
        "outcome_helped": "Notiert: {name} hat geholfen. Der Bedarf ist erledigt.",
        "outcome_not_helped": "Notiert: {name} hat nicht geholfen. Der Bedarf ist wieder offen.",
        "error_heading": "Das hat nicht geklappt",
        "error": "Fehler: {message}",
        "not_found": "Diese Seite gibt es nicht.",
        "token_title": "Zugangsschlüssel nötig",
        "token_needed": "Diese Seite braucht den Link mit dem Zugangsschlüssel, den „semnetz serve“ beim Start "
                        "ausgegeben hat. Öffne diesen Link noch einmal.",
        "token_set": "Du bist auf diesem Gerät angemeldet.",
        "continue": "Weiter",
        "forbidden": "Dieses Formular kam von einer anderen Seite und wurde abgelehnt.",
        "invalid_request": "Die Seite hat etwas bekommen, das sie nicht lesen kann. Geh zurück und versuch es noch "
                           "einmal.",
        "too_large": "Das Gesendete ist zu groß für eine Person oder einen Bedarf. Kürze es und versuch es noch "
                     "einmal.",
        "server_failed": "Auf dem Rechner, auf dem semnetz läuft, ist etwas schiefgegangen. Sein Fenster sagt mehr.",
        "wrong_host": "Diese Adresse ist nicht die, für die der Server gestartet wurde. Öffne den Link, den er "
                      "ausgegeben hat.",
    },
}


# What the library's errors say (SemnetzError.key and .values), in the languages other than the library's English:
# an English page shows the library's own message, the same words as the CLI; an error without a key here is
# shown as the library says it.
ERRORS: dict[str, dict[str, str]] = {
    "de": {
        "empty_query": "Sag, was du brauchst, z. B. „brauche Handwerker“.",
        "unknown_person": "Niemand hat die Kennung „{id}“.",
        "name_missing": "Der Name fehlt.",
        "person_empty": "Sag, was die Person tut oder anbietet, oder gib ihre Telefonnummer oder E-Mail-Adresse an.",
        "too_long": "{field} ist zu lang ({chars} Zeichen; höchstens {limit}).",
        "too_many_entries": "{field} hat {entries} Einträge (höchstens {limit}).",
        "too_many_pieces": "Zu viel Text: {pieces} durchsuchbare Teile (höchstens {limit}). Kürze den Text oder die "
                           "Angebote.",
        "sentence_too_long": "Der Text hat einen Satz von {chars} Zeichen ohne Punkt oder Komma (höchstens "
                             "{limit}): teile ihn mit „.“, „,“ oder einer neuen Zeile.",
        "nothing_to_change": "Es gibt nichts zu ändern.",
        "via_themselves": "Niemand kann über sich selbst bekannt sein.",
        "need_without_person": "Sag, wessen Bedarf es ist.",
        "need_empty": "Der Bedarf ist leer: sag, was gebraucht wird.",
        "when_empty": "Die Zeitangabe ist leer.",
        "when_unknown": "Die Zeitangabe „{text}“ verstehe ich nicht (z. B. „bis März“, „nächste Woche“, „ASAP“, "
                        "„01.03.2027“).",
        "when_holidays": "„{text}“ verstehe ich nicht: Schulferien sind in jedem Bundesland anders. Gib die Daten an, "
                         "z. B. „bis 10.04.“ oder „vom 30.03. bis 10.04.“.",
        "when_past": "Die Zeit „{text}“ ist schon vorbei (sie endete am {end}). Gib eine Zeit ab heute an, z. B. "
                     "„morgen“, „nächste Woche“, „bis März“.",
        "unknown_need": "Einen Bedarf mit der Nummer {need_id} gibt es nicht.",
        "intro_self": "{id} hat diesen Bedarf selbst; stelle jemand anderen vor.",
        "helped_missing": "Sag, ob die Person geholfen hat.",
        "unknown_status": "Den Status „{status}“ gibt es nicht (offen, vorgestellt, erledigt, abgelaufen).",
        "busy": "Das Netzwerk ist gerade beschäftigt: ein anderer semnetz-Befehl schreibt. Versuch es gleich noch "
                "einmal.",
    },
}
FIELD_NAMES: dict[str, dict[str, str]] = {
    "de": {"name": "Der Name", "text": "Der Text", "offers": "Ein Angebot", "aliases": "Ein anderer Name",
           "tags": "Ein Schlagwort", "needs": "Ein Bedarf", "contact": "Die Kontaktangabe", "phone": "Die Telefonnummer",
           "email": "Die E-Mail-Adresse", "via": "„Du kennst sie über“"},
}


def pick_language(accept_language: str | None) -> str:
    """The first language of the browser's Accept-Language ("de-DE,de;q=0.9,en;q=0.8") that the catalogue has."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary and quality > 0:
            ranked.append((-quality, position, primary))
    for _, _, primary in sorted(ranked):
        if primary in MESSAGES:
            return primary
    return DEFAULT_LANGUAGE


class Translator:
    """t("key", name=…): the catalogue's text in one language, with the values put in."""

    def __init__(self, lang: str):
        self.lang = lang if lang in MESSAGES else DEFAULT_LANGUAGE
        self._messages = MESSAGES[self.lang]

    def __call__(self, key: str, **values) -> str:
        return self._messages[key].format(**values)

    def number(self, value: float, digits: int = 2) -> str:
        point = self._messages["decimal_point"]
        if digits == 0:  # a count: 20,000 / 20.000
            return f"{round(value):,}".replace(",", "." if point == "," else ",")
        return f"{value:.{digits}f}".replace(".", point)

    def error(self, exc) -> str:
        """A library error (SemnetzError) in this language: its key looked up in ERRORS, else its own message."""
        from datetime import date

        text = ERRORS.get(self.lang, {}).get(getattr(exc, "key", None) or "")
        if text is None:
            return str(exc)
        values = {}
        for name, value in (getattr(exc, "values", None) or {}).items():
            if name == "field":
                value = FIELD_NAMES.get(self.lang, {}).get(value, value)
            elif isinstance(value, date):
                value = self.date(value)
            elif isinstance(value, int) and not isinstance(value, bool) and name != "need_id":
                value = self.number(value, 0)
            values[name] = value
        try:
            return text.format(**values)
        except (KeyError, IndexError):
            return str(exc)

    def date(self, value) -> str:
        return value.strftime(self._messages["date_format"])
