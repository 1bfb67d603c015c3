"""The page's words in German and English: one catalogue, one language per request (from Accept-Language).

Templates say t("key", name=…) and never hold words of their own; tests/test_web_api.py checks that both
languages have the same keys and placeholders. What the library says (an error's message, a search's note) stays
as the library says it.
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
        "nothing_searched": "Nothing searched: {note}.",
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
        "time_fits": "the time fits",
        "time_contradicts": "the time does not fit",
        "score": "score {score}",
        "reach": "How to reach them",
        "direct": "Direct contact.",
        "intro_ask": "Ask {introducer} to introduce you to {target}",
        "intro_chain": ", who knows {name}",
        "call": "Call {name}: {phone}",
        "write": "E-mail {name}: {email}",
        "edit_person": "Edit {name}",
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
        "nothing_searched": "Nichts gesucht: {note}.",
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
        "time_fits": "die Zeit passt",
        "time_contradicts": "die Zeit passt nicht",
        "score": "Wert {score}",
        "reach": "So erreichst du sie",
        "direct": "Direkter Kontakt.",
        "intro_ask": "Bitte {introducer}, dich mit {target} bekannt zu machen",
        "intro_chain": "; {previous} kennt {name}",
        "call": "{name} anrufen: {phone}",
        "write": "{name} eine E-Mail schreiben: {email}",
        "edit_person": "{name} bearbeiten",
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
        "person_id": "Kennung {id}",
        "added": "{name} hinzugefügt ({id}).",
        "also_named": "Es gibt auch eine Person namens {name}: {ids}.",
        "saved": "Gespeichert.",
        "add_need_for": "Bedarf von {name} eintragen",
        "needs_title": "Bedarfe und Vorstellungen",
        "add_need": "Bedarf eintragen",
        "field_by": "Wer braucht es?",
        "by_me": "ich selbst",
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
    },
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
        return f"{value:.{digits}f}".replace(".", self._messages["decimal_point"])

    def date(self, value) -> str:
        return value.strftime(self._messages["date_format"])
