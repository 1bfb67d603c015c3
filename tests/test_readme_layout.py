"""The README's layout names every module of the package, so it cannot drift from the code: a new module is a
failing test until the README says what it is for."""

import re
from pathlib import Path

import semnetz

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(semnetz.__file__).parent


def layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = text[text.index("## Layout"):]
    start = layout.index("```")
    return layout[start:layout.index("```", start + 3)]


def test_the_readme_layout_names_every_module():
    block = layout_block()
    missing = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py"))
               if path.stem not in ("__init__", "__main__")
               and not re.search(rf"\b{re.escape(path.stem)}(\.py)?\b", block)]
    assert missing == []


def test_the_layout_check_sees_a_missing_module():
    assert re.search(r"\bno_such_module(\.py)?\b", layout_block()) is None
