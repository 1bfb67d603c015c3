import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from semnetz import encoders
from semnetz.cli import cli

from .fake_encoder import FakeEncoder

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FAKE = FakeEncoder()
FAKE_OTHER = FakeEncoder(name="fake-other", dim=32)
encoders.register_encoder("fake", lambda: FAKE)
encoders.register_encoder("fake-other", lambda: FAKE_OTHER)


@pytest.fixture(autouse=True)
def semnetz_home(tmp_path, monkeypatch):
    """Every test gets its own data directory and the fake encoder unless it asks for another."""
    home = tmp_path / "home"
    monkeypatch.setenv("SEMNETZ_HOME", str(home))
    monkeypatch.setenv("SEMNETZ_MODEL", "fake")
    return home


@pytest.fixture
def real_model(monkeypatch):
    """Use the real default encoder (use-m3)."""
    monkeypatch.delenv("SEMNETZ_MODEL")
    return encoders.registry()["default"]


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


# A family and their neighbours: someone known through someone, needs with a when, links with a relation
# (test_export.py, test_links_and_needs.py).
NEIGHBOURS = [
    {"id": "a1", "name": "Svetlana Petrova", "aliases": ["Sveta"], "text": "Erzieherin in der Kita",
     "offers": ["Kita-Tipps"], "tags": ["kinder"], "contact": {"phone": "+49 170 1111111", "email": "sveta@example.org"},
     "knows": [{"id": "b1", "relation": "Bruder", "strength": 0.9}]},
    {"id": "b1", "name": "Igor Petrov", "aliases": ["Svetlanas Bruder"], "text": "Fliesenleger",
     "offers": ["Fliesen legen im Bad"], "via": "a1", "knows": [{"id": "c1", "relation": "Kollege"}]},
    {"id": "c1", "name": "Pavel Novak", "text": "Ofenbauer", "offers": ["Kachelofen bauen"], "via": "b1"},
    {"id": "d1", "name": "Lena Schmidt", "text": "zieht nach Hamburg", "offers": ["4-Zimmer-Wohnung wird frei"],
     "needs": [{"text": "Umzugshelfer mit Transporter", "when": "Ende Februar"}]},
    {"id": "e1", "name": "Mehmet Yilmaz", "text": "Busfahrer", "offers": ["Fahrdienst"],
     "needs": [{"text": "suche 4-Zimmer-Wohnung", "when": "bis März"}, "Kinderbett", "Winterreifen"]},
    {"id": "f1", "name": "Dennis Koch", "text": "Umzugshelfer", "offers": ["Umzugshelfer mit Transporter"],
     "tags": ["umzug", "handwerk"], "contact": {"phone": "+49 171 2222222"}},
]


SMALL_NETWORK = [
    {"id": "e1", "name": "Jonas Weber", "aliases": ["Mias Papa"], "text": "Elektriker. Kommt meist am nächsten Tag.",
     "offers": ["Steckdosen und Lampen anschließen"], "contact": {"phone": "+49 170 1111"}},
    {"id": "e2", "name": "Ayşe Demir", "aliases": ["Leons Mama"], "text": "Augenoptikerin, passt Kinderbrillen an.",
     "offers": ["Brillen reparieren"], "needs": [{"text": "suche größere Wohnung", "when": "bis März"}]},
    {"id": "e3", "name": "Mark Thompson", "aliases": ["Marky"], "text": "British plumber, fixes leaking taps and pipes.",
     "offers": ["plumbing", "Heizung entlüften"]},
    {"id": "e4", "name": "Karl Holz", "text": "Tischler, baut Möbel und repariert Türen."},
]


@pytest.fixture
def small_network(tmp_path):
    return write_jsonl(tmp_path / "people.jsonl", SMALL_NETWORK)
