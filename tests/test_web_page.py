"""The page of `semnetz serve` as a person uses it: a real `semnetz serve` process with the real default model on
the demo network, a real headless Chromium on a phone-sized screen in German (Playwright's sync API). Screenshots
go to tests/artifacts/.

Also here, without a browser: the CLI keeps working while the server runs, and the server sees what it writes.

Without /usr/bin/chromium the browser tests are skipped, unless SEMNETZ_REQUIRE_BROWSER=1 (CI), which makes that a
failure.
"""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from semnetz import Network, encoders

from .conftest import DATA, ROOT, write_jsonl

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "tests" / "artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "locale": "de-DE"}
TOKEN = "test-token-Zq9"
START_S = 120  # only a bound: a server that never prints its link fails the test instead of hanging it


def env() -> dict:
    """The test's environment without the fake model (unknown in a new process), its home and any token."""
    return {k: v for k, v in os.environ.items() if k not in ("SEMNETZ_MODEL", "SEMNETZ_HOME", "SEMNETZ_TOKEN")}


def semnetz(home, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "semnetz", *map(str, args), "--home", str(home)], cwd=ROOT,
                          env=env(), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`semnetz serve` on a free port of 127.0.0.1, with a token (so the link and its cookie are used), over the
    demo network imported with the real default model."""
    folder = tmp_path_factory.mktemp("serve")
    home = folder / "home"
    with Network(home=home, model=encoders.registry()["default"]) as net:
        assert len(net.import_file(DATA / "people.jsonl").added) == 75
    errors = open(folder / "stderr.txt", "w+")
    process = subprocess.Popen([sys.executable, "-m", "semnetz", "serve", "--home", str(home), "--port", "0",
                                "--token", TOKEN], cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=errors,
                               text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    link = None
    try:
        while link is None:
            line = lines.get(timeout=START_S)
            found = re.search(r"Open (http://\S+)", line)
            link = found.group(1) if found else None
    except queue.Empty:
        process.kill()
        errors.seek(0)
        pytest.fail(f"semnetz serve printed no link within {START_S} s: {errors.read()}")
    base = link.split("/?")[0]
    yield {"link": link, "base": base, "home": home, "process": process}
    process.send_signal(signal.SIGINT)  # uvicorn shuts down; the network is closed (its search log written)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
    errors.close()


def api(server, path: str, **params):
    answer = httpx.get(server["base"] + path, params=params, headers={"Authorization": f"Bearer {TOKEN}"},
                       timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


# ---------------------------------------------------------------- the CLI and the server at once (no browser)
def test_the_cli_works_while_the_server_runs_and_the_server_sees_its_writes(server, tmp_path):
    home = server["home"]
    assert server["link"] == f"{server['base']}/?token={TOKEN}" and server["base"].startswith("http://127.0.0.1:")
    assert httpx.get(server["base"] + "/api/people").status_code == 401  # a token was given: it is needed

    added = semnetz(home, "add", "Zora Zimmer", "--id", "z1", "--text", "Zimmerin, baut Dachstühle und Carports",
                    "--phone", "+49 160 555")
    assert added.returncode == 0, added.stderr
    first = api(server, "/api/search", q="wer baut mir einen Carport")["results"][0]
    assert (first["id"], first["name"]) == ("z1", "Zora Zimmer")

    people = write_jsonl(tmp_path / "more.jsonl", [{"id": "z2", "name": "Quentin Quilt",
                                                     "text": "Näher, flickt Zelte und Segel"}])
    imported = semnetz(home, "import", people)
    assert imported.returncode == 0, imported.stderr
    assert "z2" in [r["id"] for r in api(server, "/api/search", q="Zelte und Segel flicken")["results"]]

    asked = semnetz(home, "brauche Handwerker")
    assert asked.returncode == 0 and "Markus Weber" in asked.stdout
    assert any(p["id"] == "z2" for p in api(server, "/api/people"))
    assert server["process"].poll() is None  # still serving


# ---------------------------------------------------------------- the page in a real browser
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM}: the page is tested in a real browser (apt-get install chromium)"
        if os.environ.get("SEMNETZ_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; SEMNETZ_REQUIRE_BROWSER=1 requires it")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, server):
    """A phone-sized German browser that opened the printed link (the token becomes a cookie)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server["link"])
    page.wait_for_url(server["base"] + "/")  # the token left the address
    yield page
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_asking_on_a_phone_finds_markus_weber(phone):
    from playwright.sync_api import expect

    assert phone.get_attribute("html", "lang") == "de"
    expect(phone.get_by_role("heading", level=1)).to_have_text("Wer kann helfen?")
    phone.get_by_label("Was brauchst du?").fill("brauche Handwerker")
    phone.get_by_role("button", name="Fragen").tap()
    expect(phone.get_by_role("heading", level=2)).to_have_text("Passende Personen für „brauche Handwerker“")
    card = phone.locator("li.card").filter(has=phone.get_by_role("heading", name="Markus Weber"))
    expect(card).to_contain_text(re.compile("passt (gut|vielleicht)"))  # the label the calibration gives, in German
    expect(card).to_contain_text("Warum: selbstständiger Elektriker")
    expect(card).to_contain_text("Direkter Kontakt.")
    expect(card.get_by_role("link", name=re.compile("Markus Weber anrufen"))).to_have_attribute(
        "href", "tel:+4915110722233")
    assert phone.locator("#results").get_attribute("aria-live") == "polite"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    for target in phone.locator("main button, main a.button").all():
        assert target.bounding_box()["height"] >= 44  # large tap targets
    shot(phone, "web-ask-phone")

    phone.get_by_label("Was brauchst du?").fill("Fliesen im Bad legen")  # Igor, known only through Svetlana
    phone.get_by_role("button", name="Fragen").tap()
    expect(phone.locator("#results")).to_contain_text("Bitte Svetlana Petrova, dich mit Igor Petrov (Bruder) "
                                                      "bekannt zu machen.")
    expect(phone.get_by_role("link", name=re.compile("Svetlana Petrova anrufen"))).to_be_visible()
    shot(phone, "web-ask-introduction")


def test_adding_a_person_and_finding_them(phone, server):
    from playwright.sync_api import expect

    phone.get_by_role("link", name="Personen").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Personen")
    phone.get_by_label("Name (Pflichtfeld)").fill("Nur ein Name")
    phone.get_by_role("button", name="Hinzufügen").tap()
    expect(phone.get_by_role("alert")).to_contain_text("Das hat nicht geklappt")  # said in words, input kept
    expect(phone.get_by_label("Name (Pflichtfeld)")).to_have_value("Nur ein Name")
    shot(phone, "web-add-person-error")

    phone.get_by_label("Name (Pflichtfeld)").fill("Emil Speiche")
    phone.get_by_label("Was sie tun, ihre Lage, wann sie Zeit haben").fill(
        "Fahrradmechaniker mit kleiner Werkstatt, samstags da.")
    phone.get_by_label("Was sie anbieten (eins pro Zeile)").fill("Fahrräder reparieren\nSchläuche flicken")
    phone.get_by_label("Telefon").fill("+49 176 4242")
    phone.get_by_label("Du kennst sie über").select_option(label="Markus Weber")
    phone.get_by_role("button", name="Hinzufügen").tap()
    expect(phone.get_by_role("status")).to_contain_text("Emil Speiche hinzugefügt")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Emil Speiche bearbeiten")
    shot(phone, "web-person-added")

    phone.get_by_role("link", name="Fragen").tap()
    phone.get_by_label("Was brauchst du?").fill("wer kann mein Fahrrad reparieren")
    phone.get_by_label("Was brauchst du?").press("Enter")
    card = phone.locator("li.card").filter(has=phone.get_by_role("heading", name="Emil Speiche"))
    expect(card).to_contain_text("Warum: Fahrrad")
    expect(card).to_contain_text("Bitte Markus Weber, dich mit Emil Speiche bekannt zu machen.")
    card.scroll_into_view_if_needed()
    shot(phone, "web-person-found")

    edit = card.get_by_role("link", name="Emil Speiche bearbeiten")
    edit.tap()
    phone.get_by_label("Was sie anbieten (eins pro Zeile)").fill("Fahrräder reparieren\nLastenräder warten")
    phone.get_by_role("button", name="Speichern").tap()
    expect(phone.get_by_role("status")).to_contain_text("Gespeichert.")
    person = [p for p in api(server, "/api/people") if p["name"] == "Emil Speiche"][0]
    assert person["offers"] == ["Fahrräder reparieren", "Lastenräder warten"] and person["via"] == "n03"


def enter_need(phone, who: str, text: str, when: str) -> None:
    """Fill in and send the needs page's form, as a parent does."""
    phone.get_by_role("link", name="Bedarfe").tap()
    phone.get_by_label("Wer braucht es?").select_option(who)
    phone.get_by_label("Was wird gebraucht?").fill(text)
    phone.get_by_label("Wann?").fill(when)
    phone.get_by_role("button", name="Bedarf eintragen").tap()


def test_recording_an_introduction_and_its_outcome(phone, server):
    from playwright.sync_api import expect

    enter_need(phone, "n01", "Wasserhahn tropft in der Küche", "nächste Woche")
    expect(phone.get_by_role("status")).to_have_text("Bedarf eingetragen.")
    need_id = int(phone.url.split("#need-")[1])
    need = phone.locator(f"#need-{need_id}")
    expect(need.get_by_role("heading")).to_have_text("Ayşe Demir: Wasserhahn tropft in der Küche")
    expect(need).to_contain_text("Wann: nächste Woche")
    introduce = need.get_by_role("button", name=re.compile("^Ich habe .+ vorgestellt$")).first
    introduce.scroll_into_view_if_needed()
    shot(phone, "web-need-proposals")
    helper = re.match("Ich habe (.+) vorgestellt", introduce.inner_text()).group(1)
    introduce.tap()

    expect(phone.get_by_role("status")).to_have_text(f"Notiert: du hast {helper} vorgestellt.")
    need = phone.locator(f"#need-{need_id}")
    expect(need).to_contain_text(f"{helper}: vorgestellt, Rückmeldung steht aus")
    need.get_by_role("button", name=f"{helper} hat geholfen").tap()
    expect(phone.get_by_role("status")).to_have_text(f"Notiert: {helper} hat geholfen. Der Bedarf ist erledigt.")
    expect(phone.locator(f"#need-{need_id}")).to_contain_text("(erledigt)")
    shot(phone, "web-need-fulfilled")
    row = [n for n in api(server, "/api/needs") if n["need_id"] == need_id][0]
    assert row["status"] == "fulfilled"
    assert [i["status"] for i in api(server, "/api/intros", need_id=need_id)] == ["helped"]


def test_asking_with_the_keyboard_only(phone):
    from playwright.sync_api import expect

    def tab_to(selector: str, most: int = 30) -> None:
        for _ in range(most):
            phone.keyboard.press("Tab")
            if phone.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("a.skip")
    assert phone.locator("a.skip").bounding_box()["x"] >= 0  # the skip link shows when focused
    phone.keyboard.press("Enter")
    tab_to("#q")
    phone.keyboard.type("Kind hat Fieber am Wochenende")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=2)).to_contain_text("Kind hat Fieber am Wochenende")
    expect(phone.locator("li.card").first.get_by_role("heading")).to_have_text("Dr. Katrin Hoffmann")
    tab_to("li.card a.button")
    outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focus must be visible"
    shot(phone, "web-keyboard-focus")
    tab_to('nav a[href="/needs"]')
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Bedarfe und Vorstellungen")
    tab_to("#text")  # the need's text, past the "who" field
    phone.keyboard.type("Hilfe beim Umzug")
    phone.keyboard.press("Enter")  # submits without a "who": the page says what is missing
    expect(phone.get_by_role("alert")).to_have_text("Das hat nicht geklappt. Fehler: Sag, wessen Bedarf es ist.")


@pytest.mark.parametrize("path", ["/", "/people", "/people/n03", "/needs"])
def test_every_page_has_one_h1_headings_and_a_label_for_every_field(phone, server, path):
    from playwright.sync_api import expect

    phone.goto(server["base"] + path)
    expect(phone.get_by_role("heading", level=1)).to_have_count(1)
    assert phone.get_by_role("heading").count() >= (2 if path in ("/people", "/needs") else 1)
    unlabelled = phone.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name)""")
    assert unlabelled == []
    assert phone.get_by_role("navigation").count() == 1 and phone.get_by_role("main").count() == 1
    outside = phone.evaluate("""() => performance.getEntriesByType('resource')
        .map(r => r.name).filter(u => !u.startsWith(location.origin))""")
    assert outside == []  # nothing is loaded from anywhere else


def test_the_page_speaks_english_to_an_english_browser(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(**{**PHONE, "locale": "en-GB"})
    page = context.new_page()
    try:
        page.goto(server["link"])
        assert page.get_attribute("html", "lang") == "en"
        page.get_by_label("What do you need?").fill("need a plumber")
        page.get_by_role("button", name="Ask").tap()
        first = page.locator("li.card").first
        expect(first.get_by_role("heading")).to_have_text("James O'Connor")
        expect(first).to_contain_text("good fit")
        shot(page, "web-ask-english")
    finally:
        context.close()


def test_two_result_cards_fit_on_a_phone_screen(phone):
    from playwright.sync_api import expect

    phone.get_by_label("Was brauchst du?").fill("brauche Handwerker")
    phone.get_by_role("button", name="Fragen").tap()
    cards = phone.locator("li.card")
    expect(cards.nth(1)).to_be_visible()
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert second["y"] + second["height"] - first["y"] <= PHONE["viewport"]["height"], (first, second)
    cards.nth(0).evaluate("card => window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - 8)")
    phone.screenshot(path=str(ARTIFACTS / "web-results-phone.png"))  # what the phone shows: two whole cards


def test_viewing_needs_writes_nothing_and_errors_and_me_read_in_german(phone, server):
    """The needs page (with its proposals) and GET /api/match: the audit log and the store file stay as they were,
    and they answer while another process holds the write lock. Proposals can be called; your own need is yours;
    a time that is past is said in German."""
    from playwright.sync_api import expect

    from semnetz.config import DB_FILENAME, WRITE_LOCK_FILENAME
    from semnetz.store.db import WriteLock

    home = server["home"]
    enter_need(phone, "me", "Wasserhahn tropft im Bad", "gestern")
    expect(phone.get_by_role("alert")).to_contain_text("Die Zeit „gestern“ ist schon vorbei")
    phone.get_by_label("Wann?").fill("nächste Woche")
    phone.get_by_role("button", name="Bedarf eintragen").tap()
    expect(phone.get_by_role("status")).to_have_text("Bedarf eingetragen.")

    logged = semnetz(home, "log", "--json").stdout
    store = home / DB_FILENAME
    before = (store.stat().st_mtime_ns, store.read_bytes())
    lock = WriteLock(home / WRITE_LOCK_FILENAME)
    lock.acquire("test: a view must not need this")
    try:
        phone.set_default_timeout(20_000)
        phone.reload()
        need = phone.locator("article.card").filter(has_text="Mein Bedarf: Wasserhahn tropft im Bad")
        expect(need).to_be_visible()
        expect(need.locator('a[href^="tel:"]').first).to_be_visible()  # whom to contact, as a link to call
        assert api(server, "/api/match")
    finally:
        lock.release()
    assert (store.stat().st_mtime_ns, store.read_bytes()) == before
    assert semnetz(home, "log", "--json").stdout == logged
    need.screenshot(path=str(ARTIFACTS / "web-needs-my-need.png"))  # the need with whom to call (not the long page)
