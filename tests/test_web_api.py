"""`semnetz serve`'s JSON API and pages through FastAPI's TestClient (the fake encoder, for plumbing): every
endpoint answers what the library answers, bad input is a JSON error, the token is needed off loopback (by
header, link or cookie), writes from other sites are refused, and one Network serves threads at once."""

import json
import re
import shutil
import string
import threading
from contextlib import contextmanager
from html.parser import HTMLParser

import httpx
import pytest
from fastapi.testclient import TestClient

from semnetz import Network
from semnetz.web import access as access_module
from semnetz.web.access import COOKIE
from semnetz.web.app import create_app
from semnetz.web.messages import MESSAGES, pick_language

TOKEN = "s3cret-token_for-tests"
LOCAL = "http://127.0.0.1:8080"
REMOTE = "http://192.168.1.20:8080"


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def small_home(tmp_path_factory):
    """The small network, imported once; each test that changes it gets a copy."""
    from .conftest import SMALL_NETWORK, write_jsonl

    folder = tmp_path_factory.mktemp("web-small")
    with Network(home=folder / "home", model="fake") as net:
        net.import_file(write_jsonl(folder / "people.jsonl", SMALL_NETWORK))
    return folder / "home"


@pytest.fixture
def net(small_home, semnetz_home):
    shutil.copytree(small_home, semnetz_home)
    with Network(home=semnetz_home) as net:
        yield net


@pytest.fixture
def client(net):
    return TestClient(create_app(net), base_url=LOCAL)


@pytest.fixture(scope="module")
def shared_net(small_home, tmp_path_factory):
    """One network for the tests that change nothing, or only add people nobody else looks for."""
    home = tmp_path_factory.mktemp("web-shared") / "home"
    shutil.copytree(small_home, home)
    with Network(home=home, model="fake") as net:
        yield net


@pytest.fixture
def remote(shared_net):
    """The app as bound to 0.0.0.0 with a token (the phone case); requests come without it unless given."""
    return TestClient(create_app(shared_net, host="0.0.0.0", token=TOKEN), base_url=REMOTE)


@pytest.fixture
def viewer(shared_net):
    """A client for tests that only read, or whose every request is refused."""
    return TestClient(create_app(shared_net), base_url=LOCAL)




BEARER = {"Authorization": f"Bearer {TOKEN}"}


# ---------------------------------------------------------------- search
def test_search_answers_what_the_cli_answers(client, run):
    answer = client.get("/api/search", params={"q": "plumbing", "k": 3})
    assert answer.status_code == 200
    body = answer.json()
    assert body["q"] == "plumbing"
    assert body["results"] == json_lines(run("search", "plumbing", "-k", "3", "--json").output)
    assert body["results"][0]["id"] == "e3"
    assert {"id", "name", "score", "why", "why_kind", "fit", "path", "how", "hops", "confidence"} <= set(
        body["results"][0])
    timed = client.get("/api/search", params={"q": "Heizung", "when": "Samstagabend", "hops": 1, "all": "true"})
    assert timed.status_code == 200 and timed.json()["when"]


@pytest.mark.parametrize("params,says", [
    ({"q": "plumbing", "k": 0}, "k: "),
    ({"q": "plumbing", "k": "many"}, "k: "),
    ({"q": "plumbing", "hops": 4}, "hops: "),
    ({}, "q: "),
    ({"q": "   "}, "say what you need"),
])
def test_bad_search_parameters_are_a_json_error(viewer, params, says):
    answer = viewer.get("/api/search", params=params)
    assert answer.status_code == 422
    assert set(answer.json()) == {"error"} and says in answer.json()["error"]


# ---------------------------------------------------------------- people
def test_people_are_listed_and_shown_in_the_import_format(client, run):
    listed = client.get("/api/people").json()
    assert listed == json_lines(run("list", "--json").output)
    assert client.get("/api/people/e2").json() == json.loads(run("show", "e2", "--json").output)
    missing = client.get("/api/people/nobody")
    assert missing.status_code == 404 and "no person with id 'nobody'" in missing.json()["error"]


def test_adding_a_person_is_validated_as_an_import_line_and_searchable_at_once(client):
    added = client.post("/api/people", json={"name": "Greta Glas", "text": "Glaserin, ersetzt Fensterscheiben",
                                             "offers": ["Fenster reparieren"], "contact": {"phone": "+49 1"},
                                             "via": "e2"})
    assert added.status_code == 201
    new_id = added.json()["id"]
    assert added.json()["person"]["via"] == "e2" and added.json()["same_name"] == []
    first = client.get("/api/search", params={"q": "Fensterscheibe kaputt"}).json()["results"][0]
    assert first["id"] == new_id and first["path"] == ["me", "e2", new_id]
    again = client.post("/api/people", json={"name": "Greta Glas", "text": "eine andere Greta"})
    assert again.status_code == 201 and again.json()["same_name"] == [new_id]


@pytest.mark.parametrize("body,says", [
    ({"text": "ohne Namen"}, "missing 'name'"),
    ({"name": "Ohne Text"}, "needs 'text' or 'offers'"),
    ({"name": "X", "text": "y", "ofers": ["typo"]}, "unknown field 'ofers'"),
    (["not", "an", "object"], "expected a JSON object"),
    ({"name": "X", "text": "y", "knows": [{"id": "e1", "strength": 7}]}, "'strength' must be from 0 to 1"),
    ({"name": "X", "text": "y", "via": "nobody"}, "nobody"),
    ({"id": "e1", "name": "Jonas again", "text": "y"}, "e1"),
])
def test_a_bad_person_is_a_json_error_and_changes_nothing(viewer, body, says):
    before = viewer.get("/api/people").json()
    answer = viewer.post("/api/people", json=body)
    assert answer.status_code == 422, answer.text
    assert set(answer.json()) == {"error"} and says in answer.json()["error"]
    assert "Traceback" not in answer.text
    assert viewer.get("/api/people").json() == before


def test_a_body_that_is_not_json_is_a_json_error(viewer):
    answer = viewer.post("/api/people", content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and "error" in answer.json()


def test_editing_a_person_has_the_cli_edit_semantics(client):
    answer = client.patch("/api/people/e3", json={"add_offers": ["Boiler warten"], "email": "mark@example.org"})
    assert answer.status_code == 200
    person = answer.json()["person"]
    assert person["offers"] == ["plumbing", "Heizung entlüften", "Boiler warten"]
    assert person["contact"]["email"] == "mark@example.org"
    assert client.get("/api/search", params={"q": "Boiler warten"}).json()["results"][0]["id"] == "e3"
    cleared = client.patch("/api/people/e3", json={"remove_offers": ["plumbing"], "email": "", "aliases": []}).json()
    assert cleared["person"]["offers"] == ["Heizung entlüften", "Boiler warten"]
    assert "contact" not in cleared["person"] and "aliases" not in cleared["person"]  # both emptied
    assert client.patch("/api/people/e3", json={"via": "e1"}).json()["person"]["via"] == "e1"


@pytest.mark.parametrize("person_id,body,status,says", [
    ("e3", {}, 422, "nothing to change"),
    ("e3", {"offer": ["x"]}, 422, "unknown field 'offer'"),
    ("e3", {"add_offers": [1, 2]}, 422, "list of strings"),
    ("e3", {"name": 5}, 422, "must be a string"),
    ("e3", {"remove_offers": ["Dachdecken"]}, 422, "has no offer 'Dachdecken'"),
    ("e3", {"offers": [], "text": ""}, 422, "needs 'text' or 'offers'"),
    ("e3", "Klempner", 422, "expected a JSON object"),
    ("nobody", {"text": "x"}, 404, "no person with id 'nobody'"),
])
def test_a_bad_edit_is_a_json_error(viewer, person_id, body, status, says):
    answer = viewer.patch(f"/api/people/{person_id}", json=body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]


# ---------------------------------------------------------------- needs and introductions
def test_needs_match_intro_and_outcome(client, run):
    need = client.post("/api/needs", json={"by": "e2", "text": "Steckdose anschließen",
                                           "when": "nächste Woche"})
    assert need.status_code == 201
    row = need.json()
    need_id = row["need_id"]
    assert (row["by"], row["need"], row["when"], row["status"]) == ("e2", "Steckdose anschließen",
                                                                     "nächste Woche", "open")
    assert row["from"] and row["until"]
    assert row in client.get("/api/needs").json()
    assert client.get("/api/needs", params={"status": "open"}).json() == json_lines(
        run("needs", "--status", "open", "--json").output)

    proposals = client.get("/api/match", params={"all": "true", "k": 3}).json()
    assert proposals == json_lines(run("match", "--all", "-k", "3", "--json").output)
    mine = [p for p in proposals if p["need_id"] == need_id]
    assert mine and mine[0]["offers"] == "e1" and mine[0]["needs"] == "e2"
    assert all(p["offers"] != "e2" for p in mine)  # never proposed to themself
    assert client.get("/api/match", params={"for": "e1", "all": "true"}).json()

    intro = client.post("/api/intros", json={"need_id": need_id, "person_id": "e1"})
    assert intro.status_code == 201
    assert intro.json()["need"]["status"] == "matched"
    assert intro.json()["intro"] == {"need_id": need_id, "person_id": "e1", "name": "Jonas Weber",
                                     "status": "introduced"}
    assert client.get("/api/intros", params={"need_id": need_id}).json() == [intro.json()["intro"]]

    outcome = client.post("/api/outcomes", json={"need_id": need_id, "person_id": "e1", "helped": True})
    assert outcome.status_code == 201
    assert outcome.json()["need"]["status"] == "fulfilled" and outcome.json()["intro"]["status"] == "helped"
    assert client.get("/api/needs", params={"status": "fulfilled"}).json()[0]["need_id"] == need_id
    actions = [e["action"] for e in json_lines(run("log", "--json").output)]
    assert "intro" in actions and "outcome" in actions


@pytest.mark.parametrize("path,body,status,says", [
    ("/api/needs", {"by": "e2", "text": "Fahrrad", "when": "in den Osterferien"}, 422, "holidays"),
    ("/api/needs", {"by": "e2", "text": "Fahrrad", "when": "wenn es passt, irgendwann"}, 422, ""),
    ("/api/needs", {"by": "e2", "text": "  "}, 422, "empty"),
    ("/api/needs", {"by": "nobody", "text": "Fahrrad"}, 404, "nobody"),
    ("/api/needs", {"by": "e2", "text": "Fahrrad", "wann": "morgen"}, 422, "wann"),
    ("/api/needs", {"text": "Fahrrad"}, 422, "by: "),
    ("/api/intros", {"need_id": 999999, "person_id": "e1"}, 422, "no need with id 999999"),
    ("/api/intros", {"need_id": "eins", "person_id": "e1"}, 422, "need_id: "),
    ("/api/outcomes", {"need_id": 1, "person_id": "e1", "helped": "yes"}, 422, "helped: "),
])
def test_bad_needs_intros_and_outcomes_are_json_errors(client, path, body, status, says):
    answer = client.post(path, json=body)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error"} and says in answer.json()["error"]


def test_the_one_in_need_cannot_be_introduced_to_themself(client):
    need_id = client.post("/api/needs", json={"by": "e2", "text": "Brille kaputt"}).json()["need_id"]
    answer = client.post("/api/intros", json={"need_id": need_id, "person_id": "e2"})
    assert answer.status_code == 422 and "introduce someone else" in answer.json()["error"]
    assert client.get("/api/needs", params={"status": "invalid"}).status_code == 422


# ---------------------------------------------------------------- OpenAPI
def test_openapi_lists_every_endpoint_and_no_page_loads_from_a_cdn(viewer):
    paths = viewer.get("/openapi.json").json()["paths"]
    expected = {"/api/search": {"get"}, "/api/people": {"get", "post"}, "/api/people/{person_id}": {"get", "patch"},
                "/api/needs": {"get", "post"}, "/api/match": {"get"}, "/api/intros": {"get", "post"},
                "/api/outcomes": {"post"}}
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    assert not [p for p in paths if not p.startswith("/api/")]  # the pages are not part of the API
    assert viewer.get("/docs").status_code == 404 and viewer.get("/redoc").status_code == 404


# ---------------------------------------------------------------- access
def test_off_loopback_every_request_needs_the_token(remote):
    for path in ("/api/search?q=plumbing", "/api/people", "/openapi.json", "/", "/people", "/static/style.css"):
        answer = remote.get(path)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert remote.get("/api/people").json() == {"error": remote.get("/api/people").json()["error"]}
    assert remote.get("/api/people", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert remote.get("/api/people", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    remote.cookies.set(COOKIE, "wrong")
    assert remote.get("/api/people").status_code == 401
    remote.cookies.clear()
    assert remote.get("/api/people", headers=BEARER).status_code == 200
    assert remote.get("/api/people", params={"token": TOKEN}).status_code == 200
    page = remote.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert page.status_code == 401 and "text/html" in page.headers["content-type"]
    assert "Zugangsschlüssel" in page.text and '<html lang="de">' in page.text


def test_the_link_with_the_token_sets_a_strict_httponly_cookie(remote):
    opened = remote.get("/", params={"token": TOKEN, "q": "plumbing"}, headers={"Sec-Fetch-Site": "none"},
                        follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/?q=plumbing"  # the token leaves the address
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = remote.get("/?q=plumbing")  # the client keeps the cookie, as the phone's browser does
    assert page.status_code == 200 and "Mark Thompson" in page.text
    assert remote.get("/api/people").status_code == 200


def test_arriving_from_another_app_the_link_continues_through_a_page(remote):
    """A redirect from a cross-site navigation would not carry the strict cookie: a page continues instead."""
    opened = remote.get("/people", params={"token": TOKEN}, headers={"Sec-Fetch-Site": "cross-site"},
                        follow_redirects=False)
    assert opened.status_code == 200 and "HttpOnly" in opened.headers["set-cookie"]
    assert '<meta http-equiv="refresh" content="0; url=/people">' in opened.text
    assert 'href="/people"' in opened.text


def test_a_write_with_the_cookie_must_come_from_this_server(remote):
    remote.cookies.set(COOKIE, TOKEN)
    person = {"name": "Olga Ofen", "text": "Ofenbauerin"}
    foreign = remote.post("/api/people", json=person, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "another site" in foreign.json()["error"]
    form = remote.post("/people", data=person, headers={"Origin": "http://evil.example"})
    assert form.status_code == 403 and "text/html" in form.headers["content-type"]
    assert remote.post("/people", data=person, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert all(p["name"] != "Olga Ofen" for p in remote.get("/api/people").json())
    own = remote.post("/people", data=person, headers={"Origin": REMOTE}, follow_redirects=False)
    assert own.status_code == 303
    remote.cookies.clear()
    # with the token in the header no browser sends it by itself: no Origin needed
    assert remote.post("/api/people", json={**person, "name": "Olga Zwei"}, headers=BEARER).status_code == 201


def test_a_token_is_made_off_loopback_and_checked_with_compare_digest(shared_net, monkeypatch):
    net = shared_net
    first = create_app(net, host="0.0.0.0").state.access
    second = create_app(net, host="::").state.access
    assert first.required and len(first.token) >= 32 and first.token != second.token
    assert not create_app(net).state.access.required  # loopback, no token given
    assert create_app(net, host="127.0.0.1", token="given").state.access.required  # given: always needed
    compared = []
    real = access_module.hmac.compare_digest
    monkeypatch.setattr(access_module.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    client = TestClient(create_app(net, host="10.0.0.5", token=TOKEN), base_url="http://10.0.0.5:8080")
    assert client.get("/api/people", headers=BEARER).status_code == 200 and compared


def test_on_loopback_other_host_names_and_foreign_writes_are_refused(client):
    assert client.get("/api/people").status_code == 200
    assert client.get("/api/people", headers={"Host": "localhost:8080"}).status_code == 200
    rebound = client.get("/api/people", headers={"Host": "attacker.example:8080"})
    assert rebound.status_code == 403 and "loopback" in rebound.json()["error"]
    foreign = client.post("/api/people", json={"name": "A", "text": "b"}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    nullish = client.post("/api/needs", json={"by": "e1", "text": "x"}, headers={"Origin": "null"})
    assert nullish.status_code == 403
    assert client.post("/api/people", json={"name": "A", "text": "b"}).status_code == 201  # curl sends no Origin


def test_responses_forbid_framing_sniffing_and_outside_resources(viewer):
    headers = viewer.get("/").headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"


# ---------------------------------------------------------------- pages (plumbing; the real browser is in test_web_page.py)
class Outline(HTMLParser):
    """What a page is made of: headings, inputs, labels, the lang, and every URL it loads."""

    def __init__(self, html: str):
        super().__init__()
        self.lang, self.h1, self.inputs, self.labels, self.loads = None, 0, [], set(), []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.inputs.append(a.get("id"))
        if tag == "label":
            self.labels.add(a.get("for"))
        for key in ("src", "href"):
            if tag in ("link", "script", "img") and a.get(key):
                self.loads.append(a[key])


@pytest.mark.parametrize("path", ["/", "/?q=plumbing", "/people", "/people/e2", "/needs"])
@pytest.mark.parametrize("language,lang,word", [("de-DE,de;q=0.9,en;q=0.8", "de", "Personen"),
                                                ("fr-FR,fr;q=0.9,en;q=0.5", "en", "People")])
def test_pages_have_a_language_one_h1_a_label_for_every_input_and_load_nothing_from_outside(
        viewer, path, language, lang, word):
    page = viewer.get(path, headers={"Accept-Language": language})
    assert page.status_code == 200
    outline = Outline(page.text)
    assert outline.lang == lang and outline.h1 == 1 and word in page.text
    assert outline.inputs and all(i and i in outline.labels for i in outline.inputs), outline.inputs
    assert len(set(outline.inputs)) == len(outline.inputs)  # ids are unique
    assert outline.loads and all(u.startswith("/static/") for u in outline.loads)
    assert 'name="viewport"' in page.text
    assert page.headers["vary"] == "Accept-Language"


def test_the_ask_page_shows_why_how_sure_and_how_to_reach(client):
    client.post("/api/people", json={"id": "e5", "name": "Igor Fliese", "text": "Fliesenleger",
                                     "offers": ["Fliesen legen im Bad"], "via": "e2", "contact": {"phone": "+49 171 5"}})
    page = client.get("/", params={"q": "Fliesen legen"}, headers={"Accept-Language": "de"}).text
    assert "Igor Fliese" in page and "Warum:" in page and "passt gut" in page
    assert "Bitte Ayşe Demir, dich mit Igor Fliese bekannt zu machen." in page
    english = client.get("/", params={"q": "Fliesen legen"}, headers={"Accept-Language": "en"}).text
    assert "Ask Ayşe Demir to introduce you to Igor Fliese." in english
    direct = client.get("/", params={"q": "plumbing"}, headers={"Accept-Language": "en"}).text
    assert "Direct contact." in direct and 'href="tel:+491701111"' not in direct
    assert 'aria-live="polite"' in direct
    nobody = client.get("/", params={"q": "xyzzy qwv"}, headers={"Accept-Language": "de"}).text
    assert "Niemand in deinem Netzwerk passt" in nobody


def test_page_forms_post_redirect_get_and_show_errors_in_words(client):
    added = client.post("/people", data={"name": "Paula Putz", "text": "Malerin, streicht Wände und Decken",
                                         "offers": "Wände streichen\r\nTapezieren", "phone": "+49 160 2",
                                         "tags": "handwerk, farbe"}, follow_redirects=False)
    assert added.status_code == 303
    location = added.headers["location"]
    assert re.fullmatch(r"/people/[^/?]+\?done=added", location)
    person = client.get(location, headers={"Accept-Language": "de"}).text
    assert "Paula Putz hinzugefügt" in person and "Tapezieren" in person
    new_id = location.split("/")[2].split("?")[0]
    record = client.get(f"/api/people/{new_id}").json()
    assert record["offers"] == ["Wände streichen", "Tapezieren"] and record["tags"] == ["handwerk", "farbe"]
    assert client.get("/", params={"q": "Wand streichen"}).text.count("Paula Putz") >= 1

    saved = client.post(f"/people/{new_id}", data={"name": "Paula Putz", "text": "Malerin", "offers": "Tapezieren",
                                                   "phone": "", "email": "p@example.org", "via": "e1"},
                        follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    record = client.get(f"/api/people/{new_id}").json()
    assert record["offers"] == ["Tapezieren"] and record["contact"] == {"email": "p@example.org"}
    assert record["via"] == "e1" and "tags" not in record

    bad = client.post("/people", data={"name": "Nur Name", "text": "", "offers": ""},
                      headers={"Accept-Language": "de"})
    assert bad.status_code == 422
    assert "Das hat nicht geklappt" in bad.text and "Sag, was die Person tut oder anbietet" in bad.text
    assert 'value="Nur Name"' in bad.text  # what was typed stays

    need = client.post("/needs", data={"by": "e2", "text": "Steckdose defekt", "when": "in den Osterferien"})
    assert need.status_code == 422 and "holidays" in need.text and 'value="Steckdose defekt"' in need.text


def test_needs_page_records_intro_and_outcome(client):
    made = client.post("/needs", data={"by": "e2", "text": "Steckdose anschließen", "when": ""},
                       follow_redirects=False)
    assert made.status_code == 303
    need_id = int(made.headers["location"].split("#need-")[1])
    page = client.get("/needs", headers={"Accept-Language": "de"}).text
    assert f'id="need-{need_id}"' in page and "Ich habe Jonas Weber vorgestellt" in page
    done = client.post("/intros", data={"need_id": need_id, "person_id": "e1"}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"], headers={"Accept-Language": "de"}).text
    assert "Notiert: du hast Jonas Weber vorgestellt." in page and "Jonas Weber hat geholfen" in page
    helped = client.post("/outcomes", data={"need_id": need_id, "person_id": "e1", "helped": "no"},
                         headers={"Accept-Language": "de"})
    assert "Der Bedarf ist wieder offen" in helped.text
    assert client.get("/api/intros", params={"need_id": need_id}).json()[0]["status"] == "not_helped"
    wrong = client.post("/outcomes", data={"need_id": need_id, "person_id": "e1", "helped": "vielleicht"})
    assert wrong.status_code == 422 and "helped=yes" in wrong.text


def _problem(html: str) -> str:
    """The words of the page's error box."""
    box = html.split('id="problem"', 1)[1].split("</div>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", box.split(">", 1)[1]).split())


@pytest.mark.parametrize("method,path,data,says", [
    ("post", "/people", {"name": "", "text": "Malerin"}, "Der Name fehlt."),
    ("post", "/people", {"name": "Nur Name"}, "Sag, was die Person tut oder anbietet"),
    ("post", "/people", {"name": "N" * 2001, "text": "Malerin"}, "Der Name ist zu lang (2.001 Zeichen; höchstens 2.000)."),
    ("post", "/people", {"name": "Lang", "text": "x" * 2001}, "Der Text hat einen Satz von 2.001 Zeichen"),
    ("post", "/people/e1", {"name": "Jonas Weber", "text": "", "offers": ""}, "Sag, was die Person tut"),
    ("post", "/needs", {"by": "", "text": "Hilfe beim Umzug"}, "Sag, wessen Bedarf es ist."),
    ("post", "/needs", {"by": "e1", "text": "  "}, "Der Bedarf ist leer"),
    ("post", "/needs", {"by": "e1", "text": "Umzug", "when": "irgendwann mal"},
     "Die Zeitangabe „irgendwann mal“ verstehe ich nicht"),
    ("post", "/needs", {"by": "e1", "text": "Umzug", "when": "in den Osterferien"}, "Schulferien sind in jedem"),
    ("post", "/needs", {"by": "e1", "text": "Umzug", "when": "gestern"}, "Die Zeit „gestern“ ist schon vorbei"),
    ("post", "/needs", {"by": "nope", "text": "Umzug"}, "Niemand hat die Kennung „nope“."),
    ("post", "/intros", {"need_id": 999999, "person_id": "e1"}, "Einen Bedarf mit der Nummer 999999 gibt es nicht."),
    ("post", "/outcomes", {"need_id": 1, "person_id": "e1", "helped": "vielleicht"}, "Sag, ob die Person geholfen"),
    ("post", "/intros", {"need_id": "keine Zahl", "person_id": "e1"}, "Die Seite hat etwas bekommen"),
    ("get", "/people/nope", None, "Niemand hat die Kennung „nope“."),
])
def test_every_error_a_person_can_make_on_the_page_reads_in_german(client, method, path, data, says):
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    answer = client.post(path, data=data, headers=german) if method == "post" else client.get(path, headers=german)
    assert answer.status_code in (404, 422)
    words = _problem(answer.text)
    assert words.startswith("Das hat nicht geklappt.") and says in words, words
    assert not re.search(r"\b(the|say|must|is|cannot|needs|no)\b", words), words  # no English left in it


def test_a_query_with_nothing_to_search_is_answered_in_german(client):
    page = client.get("/", params={"q": "und , ?"}, headers={"Accept-Language": "de"}).text
    assert "Nichts gesucht: In der Frage steht kein Wort" in page and "there is no word" not in page


def test_a_page_view_and_a_get_write_nothing_and_take_no_lock(client, net, monkeypatch):
    """Viewing the needs page (with its proposals) and GET /api/match and /api/needs leave the audit log and the
    store file as they were, and never take the write lock; `semnetz match` still logs its proposals."""
    from semnetz.store.db import WriteLock

    client.post("/needs", data={"by": "me", "text": "Steckdose anschließen"})
    client.post("/needs", data={"by": "e2", "text": "Lampe anschließen"})
    log_before = net.log_entries()
    store = net.store.path
    before = (store.stat().st_mtime_ns, store.read_bytes())

    def refused(self, what, wait_s=0):
        raise AssertionError(f"a view took the write lock ({what})")

    monkeypatch.setattr(WriteLock, "acquire", refused)
    german = client.get("/needs", headers={"Accept-Language": "de"})
    english = client.get("/needs", headers={"Accept-Language": "en"})
    proposals = client.get("/api/match")
    needs = client.get("/api/needs")
    assert (german.status_code, english.status_code, proposals.status_code, needs.status_code) == (200,) * 4
    people = client.get("/people", headers={"Accept-Language": "de"}).text
    myself = client.get("/people/me", headers={"Accept-Language": "de"}).text
    assert 'href="/people/me">ich</a>' in people and "<h1>Meine Angaben bearbeiten</h1>" in myself
    monkeypatch.undo()
    assert (store.stat().st_mtime_ns, store.read_bytes()) == before
    assert net.log_entries() == log_before

    # proposals can be called or mailed: whom to contact, as in a search
    assert "Mein Bedarf: Steckdose anschließen" in german.text and "My need: Steckdose" in english.text
    assert 'href="tel:+491701111"' in german.text and "Jonas Weber anrufen: +49 170 1111" in german.text
    jonas = [p for p in proposals.json() if p["offers"] == "e1"]
    assert jonas and jonas[0]["reach"] == {"id": "e1", "name": "Jonas Weber", "introduces": False,
                                           "phone": "+49 170 1111"}
    assert not [e for e in net.log_entries() if e["action"] == "proposal"]
    net.match()  # what `semnetz match` runs: its proposals are written to the audit log
    assert [e for e in net.log_entries() if e["action"] == "proposal"]


def test_everything_a_person_wrote_is_escaped(client):
    client.post("/api/people", json={"id": "x1", "name": "<script>alert(1)</script>",
                                     "text": "Klempnerin \"><img src=x onerror=alert(2)>",
                                     "contact": {"email": "a@b.c?subject=<b>"}})
    page = client.get("/", params={"q": "Klempnerin"}).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script>" not in client.get("/people").text and "<script>" not in client.get("/people/x1").text
    assert client.get("/people/nobody").status_code == 404


# ---------------------------------------------------------------- the catalogue
def test_both_languages_have_the_same_messages_and_placeholders():
    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert set(MESSAGES["de"]) == set(MESSAGES["en"])
    for key in MESSAGES["en"]:
        assert fields(MESSAGES["de"][key]) <= fields(MESSAGES["en"][key]) | {"previous"}, key


@pytest.mark.parametrize("header,language", [
    ("de-DE,de;q=0.9,en;q=0.8", "de"), ("en-US,en;q=0.9,de;q=0.8", "en"), ("fr-FR, en;q=0.5, de;q=0.7", "de"),
    ("fr", "en"), ("", "en"), (None, "en"), ("de;q=0", "en"), ("DE", "de"), ("de;q=abc, en", "en"),
])
def test_the_language_is_the_browsers_first_one_the_catalogue_has(header, language):
    assert pick_language(header) == language


def test_every_template_word_comes_from_the_catalogue():
    """Text between tags in the templates is markup or a t(...) call, never a word of one language."""
    from importlib.resources import files

    for template in files("semnetz.web").joinpath("templates").iterdir():
        text = re.sub(r"{[{%#].*?[}%#]}", "", template.read_text(encoding="utf-8"), flags=re.S)
        words = [w for w in re.findall(r">([^<>]+)<", text.replace("semnetz", ""))
                 if re.search(r"[A-Za-zÄÖÜäöüß]{2,}", w)]
        assert words == [], (template.name, words)


# ---------------------------------------------------------------- the command
def test_serve_says_when_its_port_is_taken(run, net):
    from semnetz.web.server import bind

    taken = bind("127.0.0.1", 0)
    try:
        result = run("serve", "--port", taken.getsockname()[1])
    finally:
        taken.close()
    assert result.exit_code == 2 and "is in use; choose another with --port" in result.output


def test_the_printed_link_names_this_machine_and_carries_the_token():
    from semnetz.web.server import page_url

    assert page_url("127.0.0.1", 8080, None) == "http://127.0.0.1:8080/"
    link = page_url("0.0.0.0", 8080, "a b/c")
    assert link.endswith(":8080/?token=a%20b%2Fc") and "0.0.0.0" not in link
    assert page_url("::1", 9000, "t") == "http://[::1]:9000/?token=t"


# ---------------------------------------------------------------- one Network, many threads
def test_one_network_serves_threads_reading_and_writing_at_once(net):
    """Store sessions of one process are taken one thread at a time; searches never wait for them."""
    errors, stop = [], threading.Event()

    def reader(work):
        try:
            while not stop.is_set():
                work()
                stop.wait(0.2)  # requests from a page, not a busy loop
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    workers = [threading.Thread(target=reader, args=(w,)) for w in (
        lambda: net.search("plumbing"), lambda: net.search("Brille kaputt"), lambda: net.list_people(),
        lambda: net.get("e2"), lambda: net.needs(), lambda: net.contacts(["e1", "e3"]))]
    for w in workers:
        w.start()
    try:
        for n in range(3):
            net.add({"id": f"t{n}", "name": f"Tina {n}", "text": f"Töpferin Nummer {n}, brennt Keramik"})
            net.edit("e1", {"text": f"Elektriker, Version {n}"})
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert errors == []
    assert {f"t{n}" for n in range(3)} <= {m.id for m in net.search("Töpferin Keramik", k=20).matches}


@contextmanager
def serving(net):
    """The app in a real uvicorn server (its thread pool, real HTTP) on a free loopback port: its base URL."""
    import uvicorn

    from semnetz.web.server import bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(net), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            threading.Event().wait(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_the_server_answers_searches_while_it_writes(net):
    """uvicorn with its thread pool, real HTTP: searches and writes at once all succeed."""
    with serving(net) as base:
        statuses, lock = [], threading.Lock()

        def searches():
            with httpx.Client(base_url=base, timeout=60) as http:
                for _ in range(6):
                    answer = http.get("/api/search", params={"q": "plumbing"})
                    with lock:
                        statuses.append(answer.status_code)

        def writes():
            with httpx.Client(base_url=base, timeout=60) as http:
                for n in range(5):
                    answer = http.post("/api/people", json={"id": f"w{n}", "name": f"Willi {n}",
                                                            "text": f"Wagner Nummer {n}, repariert Räder"})
                    with lock:
                        statuses.append(answer.status_code)

        threads = [threading.Thread(target=searches) for _ in range(4)] + [threading.Thread(target=writes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(set(statuses)) == [200, 201] and len(statuses) == 4 * 6 + 5
        found = httpx.get(f"{base}/api/search", params={"q": "Wagner repariert Räder", "k": 10}).json()
        assert {f"w{n}" for n in range(5)} <= {r["id"] for r in found["results"]}


# ---------------------------------------------------------------- request bodies (issue 15)
def test_a_body_over_the_limit_is_refused_before_it_is_read(viewer):
    from semnetz.limits import MAX_BODY_BYTES

    big = b"x" * (MAX_BODY_BYTES + 1)
    answer = viewer.post("/api/people", content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "at most" in answer.json()["error"]
    page = viewer.post("/people", content=b"name=" + big,
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": LOCAL})
    assert page.status_code == 413 and "text/html" in page.headers["content-type"]

    def chunks():  # no Content-Length: read until the limit, then refused
        for _ in range(4):
            yield b"x" * (MAX_BODY_BYTES // 2)

    answer = viewer.post("/api/people", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "at most" in answer.json()["error"]
    bad = viewer.post("/api/people", content=b"{}", headers={"Content-Type": "application/json",
                                                             "Content-Length": "nonsense"})
    assert bad.status_code in (400, 413)
    # a person of the largest kind a form sends still fits
    person = {"name": "Groß", "text": ("Baut Möbel, repariert Türen und Fenster im ganzen Haus. " * 400)[:20_000],
              "offers": [f"{n}: " + "Ö" * 1_990 for n in range(20)]}
    answer = viewer.post("/api/people", json=person)
    assert answer.status_code == 201, answer.text


def test_the_server_stops_reading_a_body_past_the_limit(net):
    """Real HTTP (uvicorn): a 50 MB body, announced or chunked, is refused after at most about the limit."""
    from semnetz.limits import MAX_BODY_BYTES

    with serving(net) as base:
        chunk = b"x" * (1 << 20)
        for announced in (True, False):
            sent = []

            def body(sent=sent):
                for _ in range(50):
                    sent.append(len(chunk))
                    yield chunk

            headers = {"Content-Type": "application/json"}
            if announced:
                headers["Content-Length"] = str(50 * len(chunk))
            try:
                with httpx.Client(timeout=30) as http:
                    answer = http.post(f"{base}/api/people", content=body(), headers=headers)
                assert answer.status_code == 413
            except httpx.TransportError:  # the server answered and closed while the client was still sending
                pass
            # what the kernel buffers, plus the limit: far below the 50 MB offered
            assert sum(sent) < MAX_BODY_BYTES + 16 * len(chunk), (announced, sum(sent))
        assert httpx.get(f"{base}/api/search", params={"q": "plumbing"}).status_code == 200
