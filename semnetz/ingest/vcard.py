"""vCard files (2.1, 3.0 and 4.0, many cards per file, as Android, iOS, Google and Outlook export them) read into
people in the import format.

A card gives: its name (FN; else N; else ORG; else NICKNAME), aliases (NICKNAME, and Android's nickname field),
what they do (TITLE and ROLE, and ORG, as offers; NOTE as text, but for the paragraph "Offers: a; b" that
`semnetz export --vcf` writes, which gives offers), tags (CATEGORIES, without Google's own groups
such as "myContacts"), the first phone number and e-mail address, and its UID. PHOTO, BDAY, ADR, X- fields and
anything else are passed over. A card with only a name and a number (most of a phone's contacts) is a person
found by name and reached, and can introduce you; a card with neither what someone does nor a number or address
is skipped and counted.

Cards are found by their BEGIN:VCARD and END:VCARD lines; within a card, lines are unfolded by vobject
(vobject.base.getLogicalLines, which also joins quoted-printable soft line breaks) and split into name,
parameters and value by vobject (vobject.base.parseLine); lists and the parts of N and ORG are unescaped by vobject
(vobject.icalendar.stringToTextValues), single text values by the same rule in one regular expression. Lines of
properties that are not read (a photo is most of a card's bytes) are passed over before they are parsed.
vobject's Component layer (vobject.readComponents) is not used: it takes 1.5 s for the 5,000 cards of
benchmarks/vcard_import.py where this reader takes 0.25 s (benchmarks/results/vcard-import.txt), and it cuts
single text values at their first unescaped comma ("NOTE:Installateur, auch Heizung" comes back as
"Installateur"), which vCard 2.1 does not escape.

A malformed card is one InputError naming the file and the line where that card begins.
"""

from __future__ import annotations

import codecs
import io
import re

from ..errors import InputError
from ..records import shown

# Properties read; every other one is passed over.
_TEXT = {"FN", "TITLE", "ROLE", "NOTE", "TEL", "EMAIL", "UID"}
_STRUCTURED = {"N", "ORG", "X-ANDROID-CUSTOM"}  # values separated by ';'
_LISTS = {"NICKNAME", "CATEGORIES"}  # values separated by ','
_ANDROID_NICKNAME = "vnd.android.cursor.item/nickname"
_OFFERS = "Offers: "  # a paragraph of the NOTE semnetz's own vCard export writes (semnetz/export/vcard.py)

_READ = _TEXT | _STRUCTURED | _LISTS | {"BEGIN", "END"}
_BEGIN, _END = "BEGIN:VCARD", "END:VCARD"
_MARK = re.compile(r"^(BEGIN|END)[ \t]*:[ \t]*VCARD[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# A content line's name (after its group), when it is well-formed: lines of other properties are passed over
# without being parsed; anything else is left to vobject's parser, which says what is wrong.
_NAME = re.compile(r"(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)[;:]")
# The escapes of a text value (RFC 6350 3.4; vobject's stringToTextValues knows the same): \n, \, \; \: \\
_UNESCAPE = re.compile(r"\\([nN,;:\\])")
_CHARSET = re.compile(rb"CHARSET=\"?([A-Za-z0-9_.-]+)", re.IGNORECASE)
# Binary properties (a photo is most of a card's bytes, in hundreds of folded lines): taken out of a card before
# its lines are unfolded, so that reading a card costs the same with a photo as without.
_BINARY = re.compile(r"^(?:[A-Za-z0-9-]+\.)?(?:PHOTO|LOGO|SOUND|KEY)[;:][^\n]*(?:\n[ \t][^\n]*)*\n?",
                     re.IGNORECASE | re.MULTILINE)


def is_user_group(group: str) -> bool:
    """Whether a group or label of an address book is the user's own (a tag): not one of Google's own groups
    ("myContacts", "starred", "* Friends" – Google writes its own with a "* " in CSV exports) nor the label an
    earlier import left ("Imported on 12.5.")."""
    group = group.strip()
    return bool(group) and not group.startswith("*") and group.lower() not in ("mycontacts", "starred") \
        and not group.lower().startswith("imported on")


def looks_like_vcard(text: str) -> bool:
    return text.lstrip()[:len(_BEGIN)].upper() == _BEGIN


def declared_charset(raw: bytes) -> str | None:
    """The one character set (other than UTF-8) the cards of a file declare, if they declare exactly one (Outlook
    writes CHARSET=Windows-1252 and the text in it): the file is read in it instead of UTF-8."""
    names = {m.group(1).decode("ascii").lower() for m in _CHARSET.finditer(raw)} - {"utf-8", "utf8", "us-ascii"}
    if len(names) != 1:
        return None
    name = names.pop()
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def read_vcards(source: str, text: str) -> tuple[list[tuple[int, dict]], int]:
    """(line where the card begins, person in the import format) for every card with a name and what someone
    does or how to reach them, and how many cards were skipped because they have neither."""
    from vobject.base import getLogicalLines, parseLine  # lazily: vobject is needed for vCards only

    people, skipped = [], 0
    for start, card in _cards(source, text):
        try:
            person = _person(card, getLogicalLines, parseLine)
        except InputError as exc:
            raise InputError(exc.message, source, start) from None
        except RecursionError:
            raise InputError("malformed vCard (nested too deeply)", source, start) from None
        except Exception as exc:  # vobject's ParseError, a codec error, whatever else: still one line
            raise InputError(f"malformed vCard ({_reason(exc)})", source, start) from None
        if person is None:
            skipped += 1
        else:
            people.append((start, person))
    return people, skipped


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"its quoted-printable text is not {exc.encoding}"
    if "base64" in str(exc):
        return "its base64 text is broken"
    if isinstance(exc, LookupError):
        return f"unknown character set: {shown(str(exc).split(':')[-1].strip(), 40)}"
    if type(exc).__name__ == "ParseError":
        what = getattr(exc, "msg", str(exc))
        if what.startswith("Failed to parse line: "):
            return f"a line that is not 'NAME:value': {shown(what[len('Failed to parse line: '):], 60)}"
        return shown(what, 120)
    return f"{type(exc).__name__}: {shown(exc, 120)}"


def _cards(source: str, text: str) -> list[tuple[int, str]]:
    """The text of every card, with the line where it begins. A card inside a card (vCard 2.1's AGENT) stays in
    the outer one."""
    cards = []
    depth, start, start_at, line, counted = 0, 0, 0, 1, 0
    for mark in _MARK.finditer(text):
        at = mark.start()
        line += text.count("\n", counted, at)
        counted = at
        if mark.group(1).upper() == "BEGIN":
            if depth == 0:
                _nothing_between(source, text, cards[-1][2] if cards else 0, at, line)
                depth, start, start_at = 1, line, at
                continue
            before = text[text.rfind("\n", 0, max(0, text.rfind("\n", 0, at))) + 1:at].strip().upper()
            if not before.startswith("AGENT"):
                raise InputError(f"this card has no {_END} before the next card begins (line {line})", source, start)
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                cards.append((start, text[start_at:mark.end()], mark.end()))
        else:
            _nothing_between(source, text, cards[-1][2] if cards else 0, at, line)
    if depth:
        raise InputError(f"this card never ends (no {_END})", source, start)
    _nothing_between(source, text, cards[-1][2] if cards else 0, len(text), line + text.count("\n", counted))
    return [(start, card) for start, card, _ in cards]


def _nothing_between(source: str, text: str, begin: int, end: int, end_line: int) -> None:
    """Between cards there may be blank lines, nothing else."""
    between = text[begin:end]
    if between.strip():
        first = len(between) - len(between.lstrip())
        number = end_line - between.count("\n") + between.count("\n", 0, first)
        hint = " (a lone carriage return \\r ends lines in this file: save it with \\n line ends)" \
            if "\r" in between.strip() else ""
        raise InputError(f"text outside a card (every card goes from {_BEGIN} to {_END}){hint}", source, number)


def _person(card: str, logical_lines, parse_line) -> dict | None:
    values: dict[str, list] = {}
    depth = 0
    for logical, _ in logical_lines(io.StringIO(_BINARY.sub("", card)), True):
        named = _NAME.match(logical)
        if named and named.group(1).upper() not in _READ:
            continue  # PHOTO, BDAY, ADR, X- fields, anything else: not parsed at all
        name, params, value, _group = parse_line(logical)  # vobject's line syntax (raises ParseError)
        name = name.upper()
        if name in ("BEGIN", "END"):
            depth += 1 if name == "BEGIN" else -1
            continue
        if depth != 1:
            continue  # a nested card's lines
        value = _decoded(value, params)
        if name in _TEXT:  # an unescaped comma (vCard 2.1) is a comma
            parsed = _UNESCAPE.sub(_unescaped, value) if "\\" in value else value
        elif name in _STRUCTURED:
            parsed = [" ".join(p.strip() for p in _split(part, ",") if p.strip()) for part in _split(value, ";")]
        else:
            parsed = [p.strip() for p in _split(value, ",") if p.strip()]
        values.setdefault(name, []).append(parsed)
    return _as_person(values)


def _unescaped(match) -> str:
    return "\n" if match.group(1) in "nN" else match.group(1)


def _decoded(value: str, params: list[list[str]]) -> str:
    """The value with its quoted-printable or base64 encoding undone (as vobject's ContentLine does)."""
    encoding, charset = None, None
    for param in params:
        key = param[0].upper()
        if len(param) == 1 and key in ("QUOTED-PRINTABLE", "BASE64"):  # vCard 2.1: a value without its name
            encoding = key
        elif key == "ENCODING" and len(param) > 1:
            encoding = param[1].upper()
        elif key == "CHARSET" and len(param) > 1:
            charset = param[1]
    if encoding == "QUOTED-PRINTABLE":  # a line break in it is "=0D=0A" (Windows) or "=0A"
        value = codecs.decode(value.encode("utf-8"), "quoted-printable").decode(charset or "utf-8")
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if encoding in ("B", "BASE64"):
        return codecs.decode(re.sub(r"\s+", "", value).encode("ascii"), "base64").decode(charset or "utf-8")
    return value


def _split(value: str, separator: str) -> list[str]:
    """The parts of a value at unescaped separators, with backslash escapes undone (\\n, \\, \\; \\\\)."""
    if "\\" not in value:
        return value.split(separator)
    from vobject.icalendar import stringToTextValues

    if (len(value) - len(value.rstrip("\\"))) % 2:  # a trailing lone backslash escapes nothing
        value = value[:-1]
    return stringToTextValues(value, listSeparator=separator, charList="\\;,Nn")


def _offers_noted(note: str) -> tuple[str, list[str]]:
    """The note without the paragraph "Offers: a; b" that `semnetz export --vcf` writes, and those offers (so a
    card exported to a phone and imported back keeps them apart from the text)."""
    paragraphs = note.split("\n\n")
    offers = [o.strip() for p in paragraphs if p.startswith(_OFFERS) for o in p[len(_OFFERS):].split("; ")]
    if not offers:
        return note, []
    return "\n\n".join(p for p in paragraphs if not p.startswith(_OFFERS)).strip(), [o for o in offers if o]


def _first(values: dict[str, list], name: str) -> str:
    for value in values.get(name, ()):
        if value.strip():
            return value.strip()
    return ""


def _as_person(values: dict[str, list]) -> dict | None:
    name_parts = next((parts for parts in values.get("N", ()) if any(parts)), [])
    family, given, additional = (name_parts + [""] * 3)[:3]
    org = next((", ".join(p for p in parts if p) for parts in values.get("ORG", ()) if any(parts)), "")
    nicknames = [n for names in values.get("NICKNAME", ()) for n in names]
    for custom in values.get("X-ANDROID-CUSTOM", ()):  # Android 2.1: its nickname field
        if len(custom) > 1 and custom[0] == _ANDROID_NICKNAME and custom[1]:
            nicknames.append(custom[1])
    name = (_first(values, "FN") or " ".join(p for p in (given, additional, family) if p)  # no "Dr.", no "jr."
            or org or next(iter(nicknames), ""))
    titles = list(dict.fromkeys(t for t in (_first(values, "TITLE"), _first(values, "ROLE")) if t))
    note, noted_offers = _offers_noted(_first(values, "NOTE"))
    offers = list(dict.fromkeys(titles + ([org] if org else []) + noted_offers))
    if not name or not (offers or note or _first(values, "TEL") or _first(values, "EMAIL")):
        return None
    person: dict = {"name": name}
    aliases = [a for a in dict.fromkeys(nicknames) if a.lower() != name.lower()]
    if aliases:
        person["aliases"] = aliases
    if note:
        person["text"] = note
    if offers:
        person["offers"] = offers
    tags = [t for cats in values.get("CATEGORIES", ()) for t in cats if is_user_group(t)]
    if tags:
        person["tags"] = list(dict.fromkeys(tags))
    contact = {}
    phone, email = _first(values, "TEL"), _first(values, "EMAIL")
    if phone:
        contact["phone"] = phone[4:] if phone[:4].lower() == "tel:" else phone
    if email:
        contact["email"] = email[7:] if email[:7].lower() == "mailto:" else email
    if contact:
        person["contact"] = contact
    uid = _first(values, "UID")
    if uid:
        person["uid"] = uid
    return person
