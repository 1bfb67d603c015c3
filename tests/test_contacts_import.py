"""`semnetz import` of address books: vCard 2.1/3.0/4.0 as Android, iOS, Google and Outlook export them, Google and
Outlook contacts CSV, CSV separated by ';' or tabs, a JSON array; who is who when an export is imported again (UID,
phone number, e-mail address, name); malformed cards and unknown formats (fake encoder; one test with the real
model). The sample exports are in tests/data/.
"""

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semnetz.phones import normalise_phone, phone_key

DATA = Path(__file__).resolve().parent / "data"


def everyone(run) -> dict[str, dict]:
    """name -> the person as `semnetz list --json` writes them."""
    return {p["name"]: p for p in map(json.loads, run("list", "--json").output.splitlines())}


def imported(run, path) -> str:
    result = run("import", path)
    assert result.exit_code == 0, result.output
    return result.output


def refused(run, path, line: int | None, message: str) -> None:
    """One line 'Error: path:line: message…' on stderr, exit code 2, no traceback, nothing written."""
    before = run("list", "--json").output
    result = run("import", path)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {where}{message}"), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert run("list", "--json").output == before


def key(person: dict) -> str | None:
    return phone_key(person.get("contact", {}).get("phone"))


# ---------------------------------------------------------------- each export
def test_android_vcard_21_with_quoted_printable(run):
    output = imported(run, DATA / "android.vcf")
    assert "5 added" in output and "skipped" not in output  # "Mama" has only a name and a number: imported
    people = everyone(run)
    assert set(people) == {"Thomas Becker", "Jürgen Schäfer", "Wagner", "Hausverwaltung Sonnenhof", "Mama"}
    assert "text" not in people["Mama"] and people["Mama"]["contact"]["phone"]
    found = json.loads(run("search", "Mama", "--json").output.splitlines()[0])
    assert found["name"] == "Mama"  # found by name
    becker = people["Thomas Becker"]
    assert becker["aliases"] == ["Noahs Papa"]  # Android's nickname field
    assert becker["offers"] == ["Elektromeister", "Elektro Becker GmbH"]
    assert becker["text"] == "Macht auch Smart-Home und Wallboxen, kommt abends vorbei – sehr zuverlässig."
    assert becker["contact"] == {"phone": "+49 171 2345678", "email": "thomas.becker@example.org"}  # the first
    assert people["Jürgen Schäfer"]["offers"] == ["Installateur", "Sanitär Schäfer"]  # QP name, org; PHOTO passed over
    assert people["Wagner"]["offers"] == ["Schornsteinfeger"]  # no first name
    assert people["Wagner"]["contact"] == {"phone": "+49 421 556677"}
    sonnenhof = people["Hausverwaltung Sonnenhof"]  # only an organisation
    assert sonnenhof["offers"] == ["Hausverwaltung Sonnenhof"] and "Wasserschaden" in sonnenhof["text"]


def test_ios_vcard_30_with_groups_photo_and_birthday_without_year(run):
    imported(run, DATA / "ios.vcf")
    people = everyone(run)
    assert set(people) == {"Dr. Sabine Krüger", "Mehmet Yılmaz", "Bäckerei Lindner"}
    krueger = people["Dr. Sabine Krüger"]
    assert krueger["aliases"] == ["Noahs Mama"]
    assert krueger["offers"] == ["Kinderärztin", "Praxis Dr. Krüger, Kinderheilkunde"]
    assert krueger["text"] == "Macht auch Hausbesuche, wenn ein Kind hohes Fieber hat.\nAm besten per SMS."
    assert key(krueger) == "+4915123456789" and krueger["contact"]["email"] == "sabine.krueger@example.org"
    assert krueger["uid"] == "9F1C2B7E-4D3A-4C55-8E21-6B0A7D2F1C01"
    assert key(people["Mehmet Yılmaz"]) == "+4917655544433"  # an item1.TEL
    assert people["Bäckerei Lindner"]["offers"] == ["Bäckerei Lindner"]


def test_google_vcard_tags_without_googles_own_groups(run):
    imported(run, DATA / "google.vcf")
    people = everyone(run)
    assert people["Katrin Vogel"]["aliases"] == ["Kati"]
    assert people["Katrin Vogel"]["tags"] == ["nachbarn"]  # not "myContacts"
    assert people["Stefan Hoffmann"]["tags"] == ["musik"]  # not "starred"
    assert people["Stefan Hoffmann"]["text"].endswith("Sehr geduldig; die Kinder mögen ihn.")
    assert people["Stefan Hoffmann"]["contact"] == {"phone": "+49 221 7654321"}


def test_outlook_vcard_windows_1252_quoted_printable(run):
    imported(run, DATA / "outlook.vcf")
    lange = everyone(run)["Petra Lange"]
    assert lange["text"] == "Streicht Wände und Fassaden, tapeziert auch.\nAngebot kostenlos."
    assert lange["offers"] == ["Malermeisterin", "Malerbetrieb Lange"] and lange["tags"] == ["handwerker"]
    assert lange["contact"] == {"phone": "+49 89 1234567", "email": "petra.lange@example.org"}


def test_vcard_40(run):
    imported(run, DATA / "v4.vcf")
    people = everyone(run)
    neumann = people["Lukas Neumann"]
    assert neumann["aliases"] == ["Luki", "Fahrrad-Lukas"] and neumann["tags"] == ["sport", "nachbarn"]
    assert key(neumann) == "+4915712345678"  # a tel: URI
    assert neumann["uid"] == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert people["Anna Schmitt"]["contact"] == {"phone": "+49 30 9876543"}


def test_a_whole_file_in_windows_1252_as_outlook_writes_it(run, tmp_path):
    card = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN;LANGUAGE=de;CHARSET=Windows-1252:Müller;Jörg\r\n"
            "FN;CHARSET=Windows-1252:Jörg Müller\r\nTITLE;CHARSET=Windows-1252:Gärtner\r\nEND:VCARD\r\n")
    path = tmp_path / "outlook-ansi.vcf"
    path.write_bytes(card.encode("cp1252"))
    imported(run, path)
    assert everyone(run)["Jörg Müller"]["offers"] == ["Gärtner"]


CSV_AND_JSON = {
    "google.csv": {"Frank Ziegler": (["Ziegel-Frank"], "+491719988776", ["handwerker"]),
                   "Miriam Albrecht": (["Mias Mama"], "+491701234567", ["kita"]),
                   "Olga Schneider": ([], "+491602223334", [])},  # only a name and a number
    "google-new.csv": {"Jana Köhler": (["Leons Mama"], "+4915730405060", ["kita", "gesundheit"]),
                       "Autohaus Brandt": ([], "+492214455660", [])},
    "outlook.csv": {"Henrik Brandt": (["Zahn-Henrik"], "+491604433221", ["ärzte", "familie"]),
                    "Yvonne Krause": ([], "+492217788990", ["haushalt"])},
    "outlook-de.csv": {"Klaus Fischer": ([], "+491706655443", ["garten"])},
    "excel-semicolon.csv": {"Ingrid Wolf": (["Omas Nachbarin"], "+492211122334", ["nähen", "nachbarn"]),
                            "Bernd Schulte": ([], "+491729988776", [])},
    "tabs.tsv": {"Dennis Richter": ([], "+4917699887766", []), "Sophie Lehmann": ([], "+491781231234", [])},
    "people.json": {"Hannah Braun": (["Elias' Mama"], "+4915140506070", ["schule"]),
                    "Tobias Klein": ([], None, []), "Lea Zimmermann": ([], None, [])},
}


def test_contacts_csv_csv_with_semicolons_or_tabs_and_json_arrays(run):
    seen: set[str] = set()
    for name, expected in CSV_AND_JSON.items():
        imported(run, DATA / name)
        people = everyone(run)
        assert set(people) == seen | set(expected), name
        seen |= set(expected)
        for person, (aliases, phone, tags) in expected.items():
            got = people[person]
            assert (got.get("aliases", []), key(got), got.get("tags", [])) == (aliases, phone, tags), person


def test_details_of_the_csv_exports(run):
    output = imported(run, DATA / "google.csv")
    assert "skipped" not in output and "Olga Schneider" in everyone(run)  # a name and a number: imported
    frank = everyone(run)["Frank Ziegler"]
    assert frank["offers"] == ["Dachdeckermeister", "Ziegler Bedachungen"]  # title first, then the organisation
    assert frank["contact"]["email"] == "frank@ziegler-dach.example.org"
    imported(run, DATA / "outlook.csv")
    henrik = everyone(run)["Henrik Brandt"]  # Outlook's "Title" (Dr.) is not part of the name
    assert henrik["contact"]["phone"] == "+49 160 4433221"  # the mobile before the business phone
    imported(run, DATA / "people.json")
    people = everyone(run)
    assert people["Tobias Klein"]["text"] == "Tischler mit eigener Werkstatt.\u2028Baut Hochbetten nach Maß."
    assert {"id": "j1", "relation": "Nachbar"} in people["Tobias Klein"]["knows"]
    assert people["Lea Zimmermann"]["via"] == "j2"


# ---------------------------------------------------------------- the same people again
def test_importing_the_same_exports_again_changes_nothing(run, tmp_path):
    names = ["android.vcf", "ios.vcf", "google.vcf", "outlook.vcf", "v4.vcf", "google.csv"]
    added = {}
    for name in names:
        added[name] = int(imported(run, DATA / name).split(": ", 1)[1].split(" added")[0])
    before = run("list", "--json").output
    for name in names:
        assert f": 0 added, 0 updated, {added[name]} unchanged (0 pieces embedded" in imported(run, DATA / name)
    assert run("list", "--json").output == before
    listed = tmp_path / "listed.jsonl"  # what list --json writes (with the UIDs) imports again unchanged
    listed.write_text(before, encoding="utf-8")
    assert f": 0 added, 0 updated, {sum(added.values())} unchanged" in imported(run, listed)


def test_a_card_is_known_again_by_its_uid_when_everything_else_changed(run, tmp_path):
    imported(run, DATA / "ios.vcf")
    ids = {n: p["id"] for n, p in everyone(run).items()}
    text = (DATA / "ios.vcf").read_text(encoding="utf-8")
    changed = text.replace("FN:Mehmet Yılmaz", "FN:Memo Yılmaz").replace("0176 55544433", "0176 11112222")
    path = tmp_path / "ios-later.vcf"
    path.write_text(changed, encoding="utf-8")
    assert ": 0 added, 1 updated, 2 unchanged" in imported(run, path)
    people = everyone(run)
    assert people["Memo Yılmaz"]["id"] == ids["Mehmet Yılmaz"] and key(people["Memo Yılmaz"]) == "+4917611112222"
    # the same cards without their UIDs (as a CSV export would bring them): known by number, the UIDs kept
    path.write_text("".join(line for line in changed.splitlines(keepends=True) if not line.startswith("UID:")),
                    encoding="utf-8")
    assert ": 0 added, 0 updated, 3 unchanged" in imported(run, path)
    assert everyone(run) == people


def test_a_card_without_uid_is_known_by_its_phone_number_written_differently(run, tmp_path):
    imported(run, DATA / "android.vcf")
    becker = everyone(run)["Thomas Becker"]
    path = tmp_path / "other-phone.vcf"  # another export: another name, the number with the country code
    path.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Tom Becker\nTEL;TYPE=CELL:+49 (171) 234 5678\n"
                    "TITLE:Elektromeister\nNOTE:Hat jetzt auch eine Wärmepumpen-Zulassung.\nEND:VCARD\n",
                    encoding="utf-8")
    assert ": 0 added, 1 updated, 0 unchanged" in imported(run, path)
    tom = everyone(run)["Tom Becker"]
    assert tom["id"] == becker["id"] and tom["contact"]["phone"] == "+49 171 2345678"
    assert "Thomas Becker" not in everyone(run)


def test_known_by_e_mail_address_case_aside(run, tmp_path):
    imported(run, DATA / "google.vcf")
    vogel = everyone(run)["Katrin Vogel"]
    path = tmp_path / "google.csv"
    path.write_text("Given Name,Family Name,Organization 1 - Title,E-mail 1 - Value\n"
                    "Kathi,Vogel,Steuerberaterin,katrin.vogel@EXAMPLE.org\n", encoding="utf-8")
    assert ": 0 added, 1 updated" in imported(run, path)
    assert everyone(run)["Kathi Vogel"]["id"] == vogel["id"]


def test_a_shared_number_identifies_nobody_and_another_uid_is_someone_else(run, tmp_path):
    cards = ("BEGIN:VCARD\nVERSION:3.0\nFN:Eva Sommer\nTEL:030 1234567\nTITLE:Hebamme\nEND:VCARD\n"
             "BEGIN:VCARD\nVERSION:3.0\nFN:Paul Sommer\nTEL:030 1234567\nTITLE:Tischler\nEND:VCARD\n"
             "BEGIN:VCARD\nVERSION:3.0\nUID:a-1\nFN:Anna Berg\nTITLE:Ärztin\nEND:VCARD\n"
             "BEGIN:VCARD\nVERSION:3.0\nUID:a-2\nFN:Anna Berg\nTITLE:Lehrerin\nEND:VCARD\n")
    path = tmp_path / "family.vcf"
    path.write_text(cards, encoding="utf-8")
    assert ": 4 added" in imported(run, path)
    ids = {p["id"] for p in map(json.loads, run("list", "--json").output.splitlines())}
    assert len(ids) == 4
    path.write_text(cards.replace("TITLE:Tischler", "TITLE:Tischlermeister").replace("TITLE:Lehrerin",
                                                                                    "TITLE:Grundschullehrerin"),
                    encoding="utf-8")
    assert ": 0 added, 2 updated, 2 unchanged" in imported(run, path)
    after = {p["id"]: p for p in map(json.loads, run("list", "--json").output.splitlines())}
    assert set(after) == ids
    assert sorted((p["name"], p["offers"][0]) for p in after.values()) == [
        ("Anna Berg", "Grundschullehrerin"), ("Anna Berg", "Ärztin"), ("Eva Sommer", "Hebamme"),
        ("Paul Sommer", "Tischlermeister")]


def test_phone_numbers_are_normalised_for_every_way_in(run, tmp_path):
    assert run("add", "Nina Berg", "--text", "Hebamme", "--phone", "0171 1234567").exit_code == 0
    shown = json.loads(run("show", "p0001", "--json").output)
    assert shown["contact"]["phone"] == "+49 171 1234567"
    assert run("edit", "p0001", "--phone", "0049 (30) 123 45 67").exit_code == 0
    assert json.loads(run("show", "p0001", "--json").output)["contact"]["phone"] == "+49 30 1234567"
    assert run("edit", "p0001", "--phone", "+49 1").exit_code == 0  # not a number: kept as written
    assert json.loads(run("show", "p0001", "--json").output)["contact"]["phone"] == "+49 1"
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "x1", "name": "X", "text": "t", "contact": {"phone": "0221/998877"}}) + "\n",
                    encoding="utf-8")
    imported(run, path)
    assert json.loads(run("show", "x1", "--json").output)["contact"]["phone"] == "+49 221 998877"
    for number in ("0171 1234567", "+49 (0)171 123 45 67", "tel:+49-171-1234567", "+44 20 7946 0958", "+49 1"):
        assert normalise_phone(normalise_phone(number)) == normalise_phone(number)


def test_removing_someone_redacts_searches_for_their_number_as_people_write_it(run):
    from semnetz.store.audit import REDACTED

    imported(run, DATA / "android.vcf")
    becker = everyone(run)["Thomas Becker"]  # stored as "+49 171 2345678"
    for query in ("0171 2345678", "01712345678", "+491712345678", "Wasserhahn"):
        run("search", query)
    assert run("remove", becker["id"]).exit_code == 0
    searches = [e["detail"] for e in map(json.loads, run("log", "--json", "--action", "search").output.splitlines())]
    assert searches[:3] == [REDACTED] * 3 and searches[3]["q"] == "Wasserhahn"


# ---------------------------------------------------------------- bad input
def test_a_malformed_card_names_the_file_and_the_line_where_it_begins(run, small_network, tmp_path):
    imported(run, small_network)
    refused(run, DATA / "broken-card.vcf", 8, "malformed vCard (a line that is not 'NAME:value': DAS IST KEINE")
    refused(run, DATA / "broken-unclosed.vcf", 7, "this card has no END:VCARD before the next card begins (line 11)")
    cases = {
        "never-ends.vcf": ("BEGIN:VCARD\nVERSION:3.0\nFN:A\nTITLE:B\nEND:VCARD\nBEGIN:VCARD\nFN:C\n", 6,
                           "this card never ends (no END:VCARD)"),
        "outside.vcf": ("BEGIN:VCARD\nFN:A\nTITLE:B\nEND:VCARD\nHallo\n", 5, "text outside a card"),
        "charset.vcf": ("BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=KLINGONISCH;ENCODING=QUOTED-PRINTABLE:A=FC\n"
                        "TITLE:B\nEND:VCARD\n", 1, "malformed vCard (unknown character set"),
        "qp.vcf": ("BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:A=FC\nTITLE:B\nEND:VCARD\n", 1,
                   "malformed vCard (its quoted-printable text is not utf-8)"),
        "nobody.vcf": ("BEGIN:VCARD\nVERSION:3.0\nFN:Mama\nBDAY:--0415\nEND:VCARD\n", None,
                       "its one card has a name and what they do (a job title, organisation or note) or a phone"),
        "long.vcf": ("BEGIN:VCARD\nFN:A\nTITLE:B\nNOTE:" + "x" * 30_000 + "\nEND:VCARD\n", 1, "'text' is too long"),
    }
    for name, (text, line, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        refused(run, path, line, message)


def test_unknown_formats_and_broken_json_arrays(run, small_network, tmp_path):
    imported(run, small_network)
    xlsx = tmp_path / "contacts.xlsx"
    xlsx.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe binary")
    refused(run, xlsx, None, "not a format semnetz reads: vCard (.vcf), CSV (.csv, .tsv: semnetz's columns, or "
                             "contacts exported from Google or Outlook), JSON Lines (.jsonl) and JSON (.json")
    prose = tmp_path / "notes.txt"
    prose.write_text("Einkaufsliste\nMilch\n", encoding="utf-8")
    refused(run, prose, None, "not a format semnetz reads")
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"name": "A", "text": "t"},\n  {"name": "B", "text": "t", "oops": 1}\n]\n', encoding="utf-8")
    refused(run, bad, 3, "unknown field 'oops'")
    bad.write_text('[\n  {"name": "A", "text": "t"}\n  {"name": "B"}\n]\n', encoding="utf-8")
    refused(run, bad, 3, "not valid JSON (expected ',' or ']' after a person")
    bad.write_text('[{"name": "A", "text": "t"}] trailing', encoding="utf-8")
    refused(run, bad, 1, "not valid JSON (more after the array's closing ']')")
    bad.write_text('[{"name": "A", "text": "t", "text": "u"}]', encoding="utf-8")
    refused(run, bad, 1, "field 'text' appears twice in one object")
    misspelt = tmp_path / "misspelt.csv"  # semnetz's columns with a typo: not taken for an address book
    misspelt.write_text("name,text,ofers,email\nA,t,o,a@example.org\n", encoding="utf-8")
    refused(run, misspelt, 1, "unknown column 'ofers'")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_vcards(run, small_network, semnetz_home, tmp_path_factory, data):
    """Damaged exports: imported, or one line naming the file, and nothing changed."""
    if not semnetz_home.exists():
        imported(run, small_network)
    source = data.draw(st.sampled_from(["android.vcf", "ios.vcf", "outlook.vcf", "v4.vcf"]))
    raw = bytearray((DATA / source).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if how == "flip":
            raw[at] = data.draw(st.sampled_from(list(b":;=\\\r\n ,\x00\xc3")))
        elif how == "cut":
            del raw[at:at + data.draw(st.integers(1, 40))]
        else:
            raw[at:at] = data.draw(st.sampled_from([b"\nBEGIN:VCARD\n", b"\nEND:VCARD\n", b"=\n", b"\\", b"\xff"]))
    path = tmp_path_factory.mktemp("fuzz") / source
    path.write_bytes(bytes(raw))
    before = run("list", "--json").output
    result = run("import", path)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert result.exit_code == 2 and result.output.startswith(f"Error: {path}")
        assert result.output.count("\n") == 1, result.output
        assert run("list", "--json").output == before


def test_help_does_not_load_the_contact_readers():
    code = ("import sys; from semnetz.cli import main; "
            "print([m for m in ('vobject', 'phonenumbers') if m in sys.modules])")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"


# ---------------------------------------------------------------- the real model
def test_a_plumber_is_found_on_an_installateur_card(run, real_model):
    imported(run, DATA / "android.vcf")
    imported(run, DATA / "ios.vcf")
    found = [json.loads(line) for line in run("search", "brauche einen Klempner", "--json", "-k", "3").output.splitlines()]
    assert found and found[0]["name"] == "Jürgen Schäfer" and found[0]["why"] == "Installateur", found
    fever = json.loads(run("search", "Kind hat hohes Fieber", "--json", "-k", "1").output.splitlines()[0])
    assert fever["name"] == "Dr. Sabine Krüger"
    mama = json.loads(run("search", "Noahs Mama", "--json", "-k", "1").output.splitlines()[0])
    assert mama["name"] == "Dr. Sabine Krüger"
