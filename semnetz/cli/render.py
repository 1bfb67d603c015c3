"""Turning results into text for people (tables) or machines (JSON lines)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime

from tabulate import tabulate

WHY_MIN_CHARS = 30


# Control characters (but newline and tab), DEL and the C1 range: written raw they can drive the terminal (an
# imported name could set the window title), so human output shows them escaped and JSON as \\u escapes.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def terminal(text: str) -> str:
    """Text safe to write to a terminal: control characters shown as escapes (\\x1b), nothing executed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                        else f"\\u{ord(m.group(0)):04x}", text)


def json_line(value) -> str:
    """One JSON line; control characters escaped (json escapes those below 0x20, not DEL or the C1 range)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}",
                        json.dumps(value, ensure_ascii=False, default=_json_default))


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def table(rows: list[list], headers: list[str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def _why_width(fixed_chars: int) -> int:
    return max(WHY_MIN_CHARS, shutil.get_terminal_size((120, 24)).columns - fixed_chars)


def _reach_label(m) -> str:
    return "direct" if m.introducer is None else f"via {m.introducer.name}"


CONFIDENCE_WORDS = {"good": "good fit", "maybe": "maybe", "closest": "closest", "weak": "weak"}


def matches_table(matches, searched_as: str | None = None) -> str:
    rows = [[i, m.name, f"{m.score:.2f}", CONFIDENCE_WORDS.get(m.confidence or "", ""), _reach_label(m), m.id]
            for i, m in enumerate(matches, start=1)]
    fixed = max((len(r[1]) + len(r[3]) + len(r[4]) + len(r[5]) for r in rows), default=20) + 22
    width = _why_width(fixed)
    for row, m in zip(rows, matches):
        label = {"name": "name: ", "alias": "known as: ", "phone": "phone: ", "email": "e-mail: "}.get(m.why_kind, "")
        when = {"fits": " [time fits]", "contradicts": " [time does not fit]"}.get(m.availability or "", "")
        row.insert(4, shorten(label + m.why, width) + when)
    out = table(rows, ["#", "name", "score", "sure", "why", "reach", "id"])
    if searched_as:
        out = f'Searched for "{searched_as}".\n' + out
    ways = [f"  {m.name}: {_way(m)}" for m in matches if _way(m)]
    return out + ("\n\nHow to reach them:\n" + "\n".join(ways) if ways else "")


def _way(m) -> str:
    """How to reach a match, when there is more to say than "direct" (the library's Reach, else the path)."""
    if m.reach is not None:
        return m.reach.sentence() if m.reach.introduced or m.reach.numbers else ""
    return m.how if m.introducer is not None else ""


def search_answer(result) -> str:
    """A search's answer as the library judged it (result.verdict): the list, or what stands instead of it."""
    verdict = result.verdict
    query = shorten(result.query, 80)
    if verdict == "empty_network":
        return "Nobody in your network yet. Import people first: semnetz import FILE"
    if verdict == "nothing_searched":
        return f"Nothing searched: {result.note}."
    if verdict == "nobody_fits":
        best = result.best_below_threshold
        if best is None:
            return f'Nobody in your network fits "{query}". Use --all to see everyone ranked anyway.'
        return (f'Nobody in your network fits "{query}" well (the best, {best.name}, scores {best.score:.2f}, '
                f"below {result.min_score:.2f}). Use --all to see everyone ranked anyway.")
    table_ = matches_table(result.matches, result.searched_as)
    if verdict == "closest_only":
        return f'Nobody in your network fits "{query}" well; the closest:\n' + table_
    return table_


def person_text(record) -> str:
    lines = [f"{record.name}  ({record.id})"]
    if record.aliases:
        lines.append("  known as: " + ", ".join(record.aliases))
    if record.via:
        lines.append(f"  known via: {record.via}")
    if record.text:
        lines.append("  " + record.text)
    for offer in record.offers:
        lines.append("  offers: " + offer)
    for need in record.needs:
        lines.append("  needs:  " + need.text + (f"  (when: {need.when})" if need.when else ""))
    if record.tags:
        lines.append("  tags: " + ", ".join(record.tags))
    for key, value in record.contact.items():
        lines.append(f"  {key}: {value}")
    for knows in record.knows:
        extra = ", ".join(x for x in (knows.relation, f"strength {knows.strength}" if knows.strength is not None else None) if x)
        lines.append(f"  knows: {knows.id}" + (f" ({extra})" if extra else ""))
    return "\n".join(lines)


def people_table(rows: list[dict]) -> str:
    width = _why_width(60)
    body = [[r["id"], r["name"], shorten(", ".join(r["aliases"]), 30), shorten(r["text"], width)] for r in rows]
    return table(body, ["id", "name", "known as", "about"])


def log_table(entries: list[dict]) -> str:
    width = _why_width(40)
    body = [[e["seq"], e["logged_at"].strftime("%Y-%m-%d %H:%M:%S"), e["action"], shorten(json_line(e["detail"]), width)]
            for e in entries]
    return table(body, ["#", "time", "action", "detail"])


def stats_text(stats: dict) -> str:
    rows = []
    for key, value in stats.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        rows.append([key.replace("_", " "), "" if value is None else value])
    return tabulate(rows, tablefmt="plain")


def needs_table(rows) -> str:
    width = _why_width(70)
    body = [[r.need_id, r.person_name, shorten(r.text, width), r.when or "",
             r.due_until.isoformat() if r.due_until else (f"from {r.due_from.isoformat()}" if r.due_from else ""),
             r.status] for r in rows]
    return table(body, ["need", "by", "what", "when", "until", "status"])


def proposals_text(proposals) -> str:
    lines = []
    for p in proposals:
        lines.append(f"[{p.score:.2f}] need {p.need.need_id}: {p.sentence()}")
    return "\n".join(lines)
