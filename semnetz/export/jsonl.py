"""The network as JSON Lines in the import format, one person a line, each need with what became of it: its
status, when it was recorded and its introductions with their outcomes (README, "File formats"). `semnetz
import` reads it back into the same network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from ..records import NeedSpec, PersonRecord

# json escapes the control characters below 0x20; DEL, the C1 range and the line separators are escaped too,
# so that `semnetz export -` on a terminal executes nothing an imported text holds
_CONTROL = re.compile("[\x7f-\x9f\u2028\u2029]")


def lines(people: Iterable[PersonRecord], counts: dict) -> Iterator[str]:
    for record in people:
        data = record.to_dict()
        if record.needs:
            data["needs"] = [need_entry(n) for n in record.needs]
        counts["people"] += 1
        counts["needs"] += len(record.needs)
        counts["intros"] += sum(len(n.intros or ()) for n in record.needs)
        yield json_text(data) + "\n"


def json_text(value) -> str:
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json.dumps(value, ensure_ascii=False))


def need_entry(need: NeedSpec):
    """A need as the import format writes it: its text alone, or {"text", "when", "status", "created",
    "intros": [{"person", "at", "outcome", "outcome_at"}]} with what is known."""
    if not need.has_state:
        return {"text": need.text, "when": need.when} if need.when else need.text
    entry: dict = {"text": need.text}
    if need.when:
        entry["when"] = need.when
    if need.status:
        entry["status"] = need.status
    if need.created:
        entry["created"] = _time(need.created)
    if need.intros:
        entry["intros"] = [_intro(i) for i in need.intros]
    return entry


def _intro(intro) -> dict:
    out: dict = {"person": intro.person}
    if intro.at:
        out["at"] = _time(intro.at)
    out["outcome"] = intro.outcome
    if intro.outcome and intro.outcome_at:
        out["outcome_at"] = _time(intro.outcome_at)
    return out


def _time(at: datetime) -> str:
    return at.isoformat(timespec="seconds")
