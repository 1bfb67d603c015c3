"""Contacts exported as CSV by Google Contacts (the older "Name, Given Name, …, Group Membership" columns and the
newer "First Name, Last Name, …, Labels") and by Outlook (English and German column names) read into people in
the import format: the same fields a vCard gives (see vcard.py), from the columns that hold them. Columns
semnetz does not use (addresses, birthdays, web sites, …) are passed over.
"""

from __future__ import annotations

import re

from .vcard import is_user_group

# Column names (lower-cased) that hold each field, the first that has a value wins.
_FULL_NAME = ("name", "display name", "full name", "anzeigename")
_GIVEN = ("given name", "first name", "vorname")
_MIDDLE = ("additional name", "middle name", "weitere vornamen", "zweiter vorname")
_FAMILY = ("family name", "last name", "nachname")
_NICKNAME = ("nickname", "short name", "spitzname", "kurzname")
_ORG = ("organization 1 - name", "organization name", "company", "firma", "unternehmen")
_DEPARTMENT = ("organization 1 - department", "organization department", "department", "abteilung")
_JOB = ("organization 1 - title", "organization title", "job title", "position", "berufsbezeichnung", "beruf")
_NOTES = ("notes", "notizen", "anmerkungen")
_GROUPS = ("group membership", "labels", "categories", "kategorien")
# Phones and e-mail addresses: Google's numbered columns in their order, then Outlook's, the mobile first.
_PHONE = re.compile(r"phone (\d+) - value")
_EMAIL = re.compile(r"e-mail (\d+) - value")
_PHONES = ("mobile phone", "mobiltelefon", "primary phone", "haupttelefon", "business phone", "telefon geschäftlich",
           "home phone", "telefon privat", "business phone 2", "telefon geschäftlich 2", "home phone 2",
           "telefon privat 2", "other phone", "weiteres telefon", "car phone", "autotelefon", "company main phone",
           "telefon firma", "assistant's phone", "telefon assistent", "pager", "radio phone", "funkruf")
_EMAILS = ("e-mail address", "e-mail-adresse", "e-mail 2 address", "e-mail 2: adresse", "e-mail 3 address",
           "e-mail 3: adresse", "email", "e-mail")
# Several values in one cell: Google separates them with " ::: ".
_MANY = " ::: "

# A header with one of these is an address book's export ("name" and "email" are semnetz's own columns too).
_SIGNS = set(_GIVEN + _FAMILY + _ORG + _JOB + _NOTES + _GROUPS + _PHONES + _EMAILS[:-2] + _NICKNAME + _FULL_NAME[1:])


def recognises(header: list[str], own_columns) -> bool:
    """Whether a CSV header (lower-cased, stripped) is that of a contacts export semnetz reads: a column of one,
    and none of semnetz's own CSV columns but name and email (a semnetz file with a misspelt column is not read
    as an export, which would drop the columns it does not know)."""
    if any(h in own_columns and h not in ("name", "email") for h in header):
        return False
    return any(h in _SIGNS or _PHONE.fullmatch(h) or _EMAIL.fullmatch(h) for h in header)


class ContactColumns:
    """Where each field is in the rows of one export (from its header, lower-cased and stripped)."""

    def __init__(self, header: list[str]):
        at: dict[str, int] = {}
        for i, h in enumerate(header):
            at.setdefault(h, i)

        def columns(names) -> list[int]:
            return [at[n] for n in names if n in at]

        def numbered(pattern) -> list[int]:
            found = sorted((int(m.group(1)), i) for i, h in enumerate(header) if (m := pattern.fullmatch(h)))
            return [i for _, i in found]

        self.full_name, self.given = columns(_FULL_NAME), columns(_GIVEN)
        self.middle, self.family = columns(_MIDDLE), columns(_FAMILY)
        self.nickname, self.org, self.department = columns(_NICKNAME), columns(_ORG), columns(_DEPARTMENT)
        self.job, self.notes, self.groups = columns(_JOB), columns(_NOTES), columns(_GROUPS)
        self.phones = numbered(_PHONE) + columns(_PHONES)
        self.emails = numbered(_EMAIL) + columns(_EMAILS)

    def person(self, cells: list[str]) -> dict | None:
        """The person in the import format, or None when the row says nothing about what they do (no job title,
        organisation or notes) or has no name: skipped, as such a vCard is."""

        def first(columns, many: bool = False) -> str:
            for i in columns:
                value = cells[i].strip() if i < len(cells) else ""
                if many:
                    value = value.split(_MANY)[0].strip()
                if value:
                    return value
            return ""

        def parts(*fields) -> str:
            return " ".join(p for p in (first(f) for f in fields) if p)

        org = ", ".join(p for p in (first(self.org), first(self.department)) if p)
        nickname = first(self.nickname)
        # a name as people say it: no "Dr." (Outlook's "Title"), no "jr."
        name = first(self.full_name) or parts(self.given, self.middle, self.family) or org or nickname
        offers = list(dict.fromkeys(o for o in (first(self.job), org) if o))
        notes = first(self.notes)
        if not name or not (offers or notes or first(self.phones, True) or first(self.emails, True)):
            return None
        person: dict = {"name": name}
        if nickname and nickname.lower() != name.lower():
            person["aliases"] = [nickname]
        if notes:
            person["text"] = notes
        if offers:
            person["offers"] = offers
        groups = [g.strip() for i in self.groups if i < len(cells)
                  for g in re.split(r" ::: |;|,", cells[i]) if is_user_group(g)]
        if groups:
            person["tags"] = list(dict.fromkeys(groups))
        contact = {k: v for k, v in (("phone", first(self.phones, True)), ("email", first(self.emails, True))) if v}
        if contact:
            person["contact"] = contact
        return person
