"""A picture of who knows whom around you (`semnetz graph --out net.html|.svg|.png`).

Two steps, as the rest of the library is layered:

- neighbourhood(tables, …) gathers the people within a few hops of the centre (you, or any person) from the
  store's tables (no SQL here): the nearest first, and never more than `limit` of them, so a network of a
  million people gives its picture as fast as one of a hundred. Hop 1 around you is everyone recorded without
  "via" (the best connected first when there are more than fit); every further hop follows recorded links,
  the closest first (reach as in search: each link multiplies it by 0.75 + 0.2 × strength).
- render()/write() lay them out (networkx) and draw them (matplotlib, Agg, no pyplot), coloured by what they
  offer: the category of the kinds of service they name (models/categories.jsonl and models/services.jsonl,
  the background knowledge search uses), matched by words, so no encoder or model is loaded. An HTML page is
  self-contained: the SVG inline, the legend and everyone in it as text, each person's name and offers as an
  SVG <title> (a tooltip, read out by screen readers); nothing is loaded from elsewhere.

Nothing heavy is imported at the top: networkx and matplotlib load when a picture is drawn, so no other command
(and not `semnetz --help`) pays for them.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, SemnetzError, UnknownPersonError
from .files import write_private
from .limits import DEFAULT_HOPS, DEFAULT_PICTURE_PEOPLE, MAX_HOPS, MAX_PICTURE_PEOPLE
from .records import SELF_ID
from .text import fold

FORMATS = {".html": "html", ".htm": "html", ".svg": "svg", ".png": "png"}
YOU = -1  # the node of the user when they are not a person in the store
YOU_LABEL = "You"
CENTRE = "(centre)"  # the group of the one the picture is around, drawn black
OTHER = "Other offers"
NOTHING = "No offers recorded"
# the most common groups in a picture get a colour each; the rest are "Other offers"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
           "#aec7e8", "#ffbb78", "#98df8a"]
OTHER_COLOUR, NOTHING_COLOUR, YOU_COLOUR = "#9a9a9a", "#ffffff", "#111111"
LABEL_CHARS = 32  # longer names are cut in the picture (the tooltip has them whole)
SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"


# ---------------------------------------------------------------- what is drawn
@dataclass
class Person:
    pk: int
    id: str
    name: str
    offers: list[str]
    hops: int  # links from the centre (0: the centre)
    reach: float  # as in search: 1 for the centre and your contacts, less for each further link
    via: int | None  # pk of the one before them on the closest path from the centre (None: the centre)
    group: str = ""  # what they offer, as a category (see Categories)
    direct: bool = False  # one of your direct contacts (recorded without "via")


@dataclass
class Tie:
    a: int
    b: int
    strength: float | None  # 0..1, None: not recorded
    relation: str | None  # who b is to a ("Bruder"), as recorded
    yours: bool = False  # you and a direct contact: no recorded link, but how you know them


@dataclass
class Neighbourhood:
    centre: Person
    people: list[Person]  # nearest first; not the centre
    ties: list[Tie]
    hops: int
    limit: int
    more: bool  # more people are within `hops` than were drawn
    around: str  # the centre's id ("me": you)
    groups: list[tuple[str, str, int]] = field(default_factory=list)  # (group, colour, people), legend order

    @property
    def is_you(self) -> bool:
        return self.around == SELF_ID

    @property
    def everyone(self) -> list[Person]:
        return [self.centre, *self.people]

    def colour(self, group: str) -> str:
        return next((c for g, c, _ in self.groups if g == group), OTHER_COLOUR)

    def note(self) -> str | None:
        """Why the picture is (nearly) empty, or None."""
        if self.people:
            return None
        if self.is_you:
            return "nobody is in your network yet (semnetz import FILE): the picture shows only you"
        return f"{self.centre.name} ({self.around}) has no links: the picture shows only them"

    def summary(self, of: bool = True) -> str:
        """One line: who is in the picture (of: and around whom)."""
        who = ""
        if of:
            who = " of you" if self.is_you else _clean(f" of {self.centre.name} ({self.around})")
        n = len(self.people)
        people = f"{n} {'person' if n == 1 else 'people'}"
        hops = f"{self.hops} {'hop' if self.hops == 1 else 'hops'}"
        if self.more:
            return f"the nearest {people} within {hops}{who} (more are within reach: raise --limit)"
        return f"{people} within {hops}{who}"

    def to_json(self) -> dict:
        """Everything drawn, by id ("me": you), for a page that draws it itself."""
        ids = {p.pk: p.id for p in self.everyone}

        def person(p: Person) -> dict:
            return {"id": p.id, "name": p.name, "offers": p.offers, "hops": p.hops, "group": p.group,
                    "via": ids.get(p.via), "direct": p.direct}

        return {"around": self.around, "hops": self.hops, "limit": self.limit, "more": self.more,
                "centre": person(self.centre), "people": [person(p) for p in self.people],
                "ties": [{"a": ids[t.a], "b": ids[t.b], "strength": t.strength, "relation": t.relation,
                          "yours": t.yours} for t in self.ties],
                "groups": [{"group": g, "colour": c, "people": n} for g, c, n in self.groups]}


def check_options(hops: int, limit: int) -> None:
    if not 1 <= hops <= MAX_HOPS:
        raise InputError(f"--hops must be from 1 to {MAX_HOPS}, got {hops}")
    if not 1 <= limit <= MAX_PICTURE_PEOPLE:
        raise InputError(f"--limit must be from 1 to {MAX_PICTURE_PEOPLE}, got {limit}")


def neighbourhood(tables, around: str = SELF_ID, hops: int = DEFAULT_HOPS, limit: int = DEFAULT_PICTURE_PEOPLE,
                  categories: "Categories | None" = None) -> Neighbourhood:
    """The people within `hops` of `around` (you: "me"), the nearest first, at most `limit` besides the centre;
    the links between them, and what each offers. Reads only these people from the store."""
    from .rank.weights import WEIGHTS

    check_options(hops, limit)
    you = around == SELF_ID
    centre_pk = tables.people.pk(around)
    if centre_pk is None and not you:
        raise UnknownPersonError(around)
    centre = centre_pk if centre_pk is not None else YOU
    found: dict[int, tuple[int, float, int | None]] = {centre: (0, 1.0, None)}  # pk -> (hops, reach, via)
    level: dict[int, tuple[float, int]] = {}  # this hop's candidates: pk -> (reach, via)
    more = False
    if you:  # your direct contacts: everyone recorded without "via"
        direct, total = tables.links.direct_contacts(limit, exclude=centre_pk)
        level = {pk: (1.0, centre) for pk in direct}
        more = total > limit
    frontier = [centre_pk] if centre_pk is not None else []

    def next_to(frontier: list[int]) -> dict[int, tuple[float, int]]:
        """Everyone linked to the frontier and not found yet, with their best reach through it."""
        out: dict[int, tuple[float, int]] = {}
        if not frontier:
            return out
        reach_of = {pk: found[pk][1] for pk in frontier}
        frm, to, strength, _ = tables.links.edges(frontier)
        for a, b, s in zip(frm.tolist(), to.tolist(), strength.tolist()):
            factor = WEIGHTS.hop_factor(WEIGHTS.default_strength if s != s else s)
            for x, y in ((a, b), (b, a)):
                if x in reach_of and y not in found:
                    reach = reach_of[x] * factor
                    if y not in out or reach > out[y][0]:
                        out[y] = (reach, x)
        return out

    for hop in range(1, hops + 1):
        for pk, (reach, via) in next_to(frontier).items():
            if pk not in level or reach > level[pk][0]:
                level[pk] = (reach, via)
        room = limit - (len(found) - 1)
        if len(level) > room:
            more = True
            degree = tables.links.degrees(list(level))
            keep = sorted(level, key=lambda pk: (-level[pk][0], -degree.get(pk, 0), pk))[:room]
        else:
            keep = sorted(level, key=lambda pk: (-level[pk][0], pk))
        for pk in keep:
            found[pk] = (hop, *level[pk])
        frontier, level = keep, {}
        if len(found) - 1 >= limit:  # full: is anyone left out further on?
            more = more or (hop < hops and bool(next_to(frontier)))
            break

    pks = [pk for pk in found if pk != YOU]
    rows = {r["pk"]: r for r in tables.people.rows(pks)}
    offers: dict[int, list[str]] = {}
    about: dict[int, list[str]] = {}
    for item in tables.people.items_of(pks):
        if item.kind == "offer":
            offers.setdefault(item.person_pk, []).append(item.text)
        elif item.kind == "about":
            about.setdefault(item.person_pk, []).append(item.text)
    categories = categories or Categories.load()
    people = []
    for pk, (hop, reach, via) in found.items():
        row = rows.get(pk, {"id": SELF_ID, "name": YOU_LABEL, "via": None})
        is_you = pk == YOU or row["id"] == SELF_ID
        person = Person(pk, row["id"], YOU_LABEL if is_you else row["name"], offers.get(pk, []), hop, reach, via,
                        direct=not is_you and row["via"] is None)
        if hop == 0:
            person.group = CENTRE
        else:
            person.group = categories.of(person.offers, about.get(pk, [])) or (OTHER if person.offers else NOTHING)
        people.append(person)

    ties = _ties(tables, found, pks)
    if you:
        ties += [Tie(centre, p.pk, None, None, yours=True) for p in people[1:] if p.direct and p.hops == 1]
    hood = Neighbourhood(people[0], people[1:], ties, hops, limit, more, around)
    hood.groups = _groups(hood.people)
    shown = {g for g, _, _ in hood.groups}
    for p in hood.people:  # groups beyond the coloured ones are shown as "Other offers"
        if p.group not in shown:
            p.group = OTHER
    return hood


def _ties(tables, found: dict, pks: list[int]) -> list[Tie]:
    """The recorded links among these people, one per pair (the stronger direction's strength, both relations)."""
    pairs: dict[tuple[int, int], Tie] = {}
    frm, to, strength, relation = tables.links.edges(pks)
    for a, b, s, r in zip(frm.tolist(), to.tolist(), strength.tolist(), relation):
        if a not in found or b not in found:
            continue
        s = None if s != s else float(s)
        key = (min(a, b), max(a, b))
        if key not in pairs:
            pairs[key] = Tie(a, b, s, r or None)
            continue
        tie = pairs[key]
        if s is not None and (tie.strength is None or s > tie.strength):
            tie.strength = s
        if r and r != tie.relation:
            tie.relation = f"{tie.relation} / {r}" if tie.relation else r
    return list(pairs.values())


def _groups(people: list[Person]) -> list[tuple[str, str, int]]:
    """The legend: the most common groups with a colour each (most people first), then "Other offers" and "No
    offers recorded" (grey and white), for the groups present."""
    counts: dict[str, int] = {}
    for p in people:
        counts[p.group] = counts.get(p.group, 0) + 1
    named = sorted((g for g in counts if g not in (OTHER, NOTHING)), key=lambda g: (-counts[g], g))
    coloured = named[:len(PALETTE)]
    other = counts.get(OTHER, 0) + sum(counts[g] for g in named[len(PALETTE):])
    groups = [(g, PALETTE[i], counts[g]) for i, g in enumerate(coloured)]
    if other:
        groups.append((OTHER, OTHER_COLOUR, other))
    if counts.get(NOTHING):
        groups.append((NOTHING, NOTHING_COLOUR, counts[NOTHING]))
    return groups


# ---------------------------------------------------------------- what people offer, as a category
class Categories:
    """What someone offers, as one of the categories search knows (models/categories.jsonl: "Handwerk" for
    Elektriker, Klempner, …), found by the words of their offers and of the start of their text's clauses: a
    role's name (models/services.jsonl, "Elektrikerin", also at the head or end of a compound, "Hobbyfotografin")
    or a category's own name ("Nachhilfe"). A kind of service in no category is its own group ("Fotografin").
    Where several match, the first role said at the start of a clause of their text ("selbstständiger
    Elektriker": what they are) decides; without one, the roles their offers name (the most often named), then
    categories' names.
    Words joined by a hyphen are one word ("Kita-Fest" is a party, not a Kita)."""

    ROLE_IN_OFFER, NAME = 1, 0  # tiers
    HEAD_WORDS = 2  # a role in a clause of their text counts within its first words only ("aus der Kita" does not)
    MIN_WORD, MIN_PREFIX, MIN_SUFFIX = 4, 5, 6  # letters a term needs to match whole, as a compound's head, end

    def __init__(self, services: list[dict], categories: list[dict]):
        member: dict[str, list[str]] = {}
        for c in categories:
            for s in c["services"]:
                member.setdefault(s, []).append(c["category"])
        self.terms: dict[tuple[str, ...], tuple[str, int]] = {}  # folded words -> (group, tier)
        for c in categories:
            for name in c["names"]:
                self._add(name, c["category"], self.NAME)
        for s in services:
            group = self._category_of(s["service"], member.get(s["service"], []), categories)
            for role in s["roles"]:
                self._add(role, group, self.ROLE_IN_OFFER)
        self.single = {words[0]: value for words, value in self.terms.items() if len(words) == 1}
        self.longest = max((len(w) for w in self.terms), default=1)

    def _add(self, term: str, group: str, tier: int) -> None:
        words = tuple(_words(term))
        if not words or (len(words) == 1 and len(words[0]) < self.MIN_WORD):
            return  # "GP", "DJ", "vet": too short to tell from other words
        if words not in self.terms or self.terms[words][1] < tier:  # a role's name before a category's
            self.terms[words] = (group, tier)

    @staticmethod
    def _category_of(service: str, member: list[str], categories: list[dict]) -> str:
        """The category of a service: the one it is listed in (of several, the one whose name the service's
        name says, "Übersetzerin / … / Dolmetscher" is Übersetzen; else the first); in none, its first name."""
        if len(member) > 1:
            words = set(_words(service))
            for c in categories:
                if c["category"] in member and any(" ".join(_words(n)) in words for n in c["names"]):
                    return c["category"]
        if member:
            return member[0]
        return service.split(" / ")[0].split(" (")[0].strip()

    _loaded: dict[Path, "Categories"] = {}

    @classmethod
    def load(cls, models_dir: Path | None = None) -> "Categories":
        """From models/ (read once per process)."""
        from .config import models_dir as package_models_dir

        directory = models_dir or package_models_dir()
        if directory not in cls._loaded:
            cls._loaded[directory] = cls._read(directory)
        return cls._loaded[directory]

    @classmethod
    def _read(cls, directory: Path) -> "Categories":
        def lines(name: str) -> list[dict]:
            path = directory / name
            if not path.exists():
                return []
            return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

        return cls(lines("services.jsonl"), lines("categories.jsonl"))

    def of(self, offers: list[str], about: list[str]) -> str | None:
        """The group of someone with these offers and these clauses of text (None: nothing known matches)."""
        score: dict[str, list[int]] = {}  # group -> hits per tier (in offers: roles, names; in text: names)
        first: dict[str, int] = {}
        pieces = [(text, True) for text in about] + [(text, False) for text in offers]
        for text, is_about in pieces:
            words = _words(text)
            for i in range(len(words)):
                found = self._at(words, i)
                if found is None:
                    continue
                group, tier = found
                if is_about:
                    if i >= self.HEAD_WORDS:
                        continue
                    if tier == self.ROLE_IN_OFFER:  # the first role their text says they are
                        return group
                score.setdefault(group, [0, 0])[tier] += 1
                first.setdefault(group, len(first))
        if not score:
            return None
        return min(score, key=lambda g: ([-n for n in reversed(score[g])], first[g]))

    def _at(self, words: list[str], i: int) -> tuple[str, int] | None:
        """The term that words[i:] starts with: several words whole, else one word whole, as the head of a
        compound ("tischlermeister") or as its end ("hobbyfotografin"); the longest first."""
        for n in range(min(self.longest, len(words) - i), 0, -1):
            hit = self.terms.get(tuple(words[i:i + n]))
            if hit is not None:
                return hit
        word = words[i]
        for cut in range(len(word) - 1, self.MIN_PREFIX - 1, -1):
            hit = self.single.get(word[:cut])
            if hit is not None and not word.startswith("ier", cut):  # "pensionierte" is no Pension
                return hit
        for cut in range(1, len(word) - self.MIN_SUFFIX + 1):
            hit = self.single.get(word[cut:])
            if hit is not None:
                return hit
        return None


_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


def _words(text: str) -> list[str]:
    """Folded words, a hyphenated compound as one ("Kfz-Mechaniker": "kfzmechaniker")."""
    return fold(_HYPHEN.sub("", text)).split()


# ---------------------------------------------------------------- drawing
def format_of(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"--out must end in .html, .svg or .png (the format is chosen by it), not '{Path(path).name}'")
    return FORMATS[suffix]


def check_out(path: str | os.PathLike) -> Path:
    """The file the picture goes to, checked before any work: a known format, in a folder that exists and can
    be written (tried with a temporary file there)."""
    path = Path(path)
    if path.is_dir():
        raise SemnetzError(f"cannot write the picture to {path}: it is a folder")
    format_of(path)
    folder = path.parent
    if not folder.is_dir():
        raise SemnetzError(f"cannot write the picture to {path}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SemnetzError(f"cannot write the picture to {path}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(tmp)
    return path


def write(hood: Neighbourhood, path: str | os.PathLike) -> Path:
    """Draw the picture in the format the file name says and write it atomically (a temporary file beside it,
    then renamed), readable only by you (0600): it names people."""
    path = Path(path)
    write_private(path, [render(hood, format_of(path))], binary=True)
    return path


def render(hood: Neighbourhood, fmt: str) -> bytes:
    """The picture as bytes: "svg", "png" or "html" (a page with the SVG inline)."""
    if fmt not in ("svg", "png", "html"):
        raise InputError(f"unknown picture format '{fmt}' (svg, png or html)")
    import warnings

    figure, tooltips = _draw(hood)
    with warnings.catch_warnings():  # a name in a script the font lacks is drawn with boxes, not warned about
        warnings.simplefilter("ignore")
        if fmt == "png":
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=100, metadata={"Software": "semnetz"})
            return buffer.getvalue()
        svg = _svg(figure, tooltips, hood)
    if fmt == "svg":
        return svg
    return _page(hood, svg).encode("utf-8")


def title(hood: Neighbourhood) -> str:
    return "Who knows whom around you" if hood.is_you else f"Who knows whom around {_clean(hood.centre.name)}"


def _clean(text: str) -> str:
    """Text safe in a picture and in XML: no control characters (XML cannot hold most of them) or bidi overrides."""
    return "".join(" " if unicodedata.category(ch) == "Cc" or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"
                   else ch for ch in text)


def _short(name: str) -> str:
    name = _clean(name)
    return name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"


def _person_tip(hood: Neighbourhood, p: Person, names: dict[int, str]) -> str:
    lines = [p.name + ("" if p.pk == YOU else f" ({p.id})")]
    if p.offers:
        lines.append("offers: " + "; ".join(p.offers))
    elif p.hops:
        lines.append("no offers recorded")
    if p.hops == 1 and p.direct and hood.is_you:
        lines.append("your direct contact")
    elif p.hops:
        lines.append(f"{p.hops} {'link' if p.hops == 1 else 'links'} away, through {names[p.via]}")
    return "\n".join(_clean(line) for line in lines)


def _tie_tip(t: Tie, names: dict[int, str]) -> str:
    if t.yours:
        return _clean(f"you know {names[t.b]} directly")
    text = f"{names[t.a]} knows {names[t.b]}" + (f" ({t.relation})" if t.relation else "")
    return _clean(text + (f", strength {t.strength:g}" if t.strength is not None else ", strength not recorded"))


def _layout(hood: Neighbourhood) -> dict[int, tuple[float, float]]:
    """Positions: rings by hop as the start, then a force-directed layout (stronger links pull harder); the
    same network gives the same picture."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(p.pk for p in hood.everyone)
    for t in hood.ties:
        graph.add_edge(t.a, t.b, weight=0.3 if t.yours else 0.3 + (0.5 if t.strength is None else t.strength))
    if len(graph) == 1:
        return {hood.centre.pk: (0.0, 0.0)}
    shells = [[hood.centre.pk]] + [[p.pk for p in hood.people if p.hops == h] for h in range(1, hood.hops + 1)]
    start = nx.shell_layout(graph, [s for s in shells if s])
    # networkx lays out 500 people or more another way, slower by the iteration: fewer iterations there (the rings
    # it starts from are a fair layout already)
    return nx.spring_layout(graph, pos=start, fixed=[hood.centre.pk], seed=0, method="force",
                            iterations=60 if len(graph) < 500 else 20, weight="weight",
                            k=1.5 / max(len(graph), 1) ** 0.5)


def _draw(hood: Neighbourhood):
    """The matplotlib figure (Agg canvas, no pyplot: nothing global, safe in a server), and the tooltips by SVG
    id: one text for an artist, or a list for a collection (one per line or person, in drawing order). People
    and links are drawn as a few collections and the axes placed by hand: a thousand people take seconds, not
    minutes."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    pos = _layout(hood)
    names = {p.pk: p.name for p in hood.everyone}
    n = len(hood.everyone)
    side = min(30.0, max(7.0, 1.3 * n ** 0.5))
    legend_width = 3.2
    figure = Figure(figsize=(side + legend_width, side + 0.6))
    FigureCanvasAgg(figure)
    width, height = figure.get_size_inches()
    ax = figure.add_axes((0.2 / width, 0.2 / height, side / width - 0.4 / width, side / height - 0.2 / height))
    ax.set_axis_off()
    ax.set_autoscale_on(False)
    xy = np.array([pos[p.pk] for p in hood.everyone], dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    room = 2 * 60 / ((side - 0.4) * 72)  # about 60 points either side for the names of the outermost people
    middle, half = (low + high) / 2, max(float((high - low).max()) / 2, 0.5) * (1 + room)
    ax.set_xlim(middle[0] - half, middle[0] + half)
    ax.set_ylim(middle[1] - half * 1.03, middle[1] + half)  # room for the names below the lowest people
    ax.set_aspect("equal")
    tooltips: dict[str, str | list[str]] = {}

    kinds = {"ties-yours": [t for t in hood.ties if t.yours],
             "ties-unsaid": [t for t in hood.ties if not t.yours and t.strength is None],
             "ties": [t for t in hood.ties if not t.yours and t.strength is not None]}
    for gid, ties in kinds.items():
        if not ties:
            continue
        segments = [(pos[t.a], pos[t.b]) for t in ties]
        if gid == "ties-yours":
            style = dict(colors="#c8c8c8", linewidths=0.6)
        else:
            style = dict(colors="#6f6f6f", linewidths=[0.4 + 2.6 * (0.5 if t.strength is None else t.strength)
                                                        for t in ties],
                         linestyles=(0, (3, 2)) if gid == "ties-unsaid" else "solid")
        ax.add_collection(LineCollection(segments, alpha=0.7, zorder=1, gid=gid, **style))
        tooltips[gid] = [_tie_tip(t, names) for t in ties]

    colours = [YOU_COLOUR if p.group == CENTRE else hood.colour(p.group) for p in hood.everyone]
    sizes = [320 if p.hops == 0 else {1: 140, 2: 90}.get(p.hops, 60) for p in hood.everyone]
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=colours, zorder=2, gid="people",
               edgecolors=["#111111" if p.hops == 0 or c == NOTHING_COLOUR else "white"
                           for p, c in zip(hood.everyone, colours)],
               linewidths=[1.5 if p.hops == 0 else 0.8 for p in hood.everyone])
    tips = [_person_tip(hood, p, names) for p in hood.everyone]
    tooltips["people"] = tips
    font = max(5.0, min(9.0, 9.0 - n / 60))
    for i, (p, size) in enumerate(zip(hood.everyone, sizes)):
        x, y = xy[i]
        ax.annotate(_short(p.name), (x, y), xytext=(0, -(size ** 0.5) / 2 - 1.5), textcoords="offset points",
                    ha="center", va="top", fontsize=font + (1.5 if p.hops == 0 else 0),
                    fontweight="bold" if p.hops == 0 else "normal", zorder=3, gid=f"name-{i}",
                    annotation_clip=False, parse_math=False)
        tooltips[f"name-{i}"] = tips[i]

    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=c,
                      markeredgecolor="#111111" if c == NOTHING_COLOUR else "white", label=f"{_short(g)} ({k})")
               for g, c, k in hood.groups]
    handles.insert(0, Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=YOU_COLOUR,
                             markeredgecolor="#111111",
                             label=YOU_LABEL if hood.is_you else f"{_short(hood.centre.name)} (centre)"))
    legend = figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(side / width, 1 - 0.7 / height),
                           fontsize=8, frameon=False, title="What they offer", title_fontsize=9,
                           alignment="left")
    for text in legend.get_texts():
        text.set_parse_math(False)
    figure.text(0.2 / width, 1 - 0.15 / height, f"{title(hood)}: {hood.summary(of=False)}", fontsize=11, va="top",
                parse_math=False)
    return figure, tooltips


def _svg(figure, tooltips: dict[str, str | list[str]], hood: Neighbourhood) -> bytes:
    """The figure as SVG with text as text (names searchable, readable aloud) and a <title> in each person and
    link: what a pointer over them shows."""
    import xml.etree.ElementTree as ET

    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "semnetz"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(buffer.getvalue())
    for element in [e for e in root if e.tag in (f"{{{SVG_NS}}}metadata", f"{{{SVG_NS}}}title")]:
        root.remove(element)  # matplotlib's (its version, the date): ours follows

    def titled(element, text: str) -> None:
        tip = ET.Element(f"{{{SVG_NS}}}title")
        tip.text = text
        element.insert(0, tip)

    for element in list(root.iter(f"{{{SVG_NS}}}g")):
        tip = tooltips.get(element.get("id", ""))
        if isinstance(tip, str):
            titled(element, tip)
        elif tip is not None:
            # one <path> per line or person in the order drawn, or (all drawn alike) a <use> of one marker each
            items = [child for child in element if child.tag == f"{{{SVG_NS}}}path"]
            if len(items) != len(tip):
                items = list(element.iter(f"{{{SVG_NS}}}use"))
            if len(items) == len(tip):
                for child, text in zip(items, tip):
                    titled(child, text)
    heading = ET.Element(f"{{{SVG_NS}}}title", {"id": "semnetz-title"})
    heading.text = f"{title(hood)}: {hood.summary(of=False)}"
    root.insert(0, heading)
    root.set("aria-labelledby", "semnetz-title")  # no role="img": that would hide each person's <title>
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


PAGE_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1a1a1a; }
main { max-width: 1400px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 .25rem; }
figure { margin: 1rem 0; }
figure svg { width: 100%; height: auto; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 50%; border: 1px solid #555;
          vertical-align: -.1em; margin-right: .35em; }
table { border-collapse: collapse; } td, th { text-align: left; padding: .2rem .6rem; vertical-align: top; }
tr:nth-child(even) { background: #f4f4f4; }
"""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _page(hood: Neighbourhood, svg: bytes) -> str:
    """A self-contained page: nothing is loaded from elsewhere (and its policy forbids it)."""
    e = html.escape
    names = {p.pk: p.name for p in hood.everyone}
    inline = svg.decode("utf-8")
    inline = inline[inline.index("<svg"):]
    inline = re.sub(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"', r"\1", inline, count=1)
    inline = re.sub(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"', r"\1", inline, count=1)
    centre = YOU_LABEL if hood.is_you else _clean(hood.centre.name) + " (centre)"
    legend = f'<li><span class="swatch" style="background:{YOU_COLOUR}" aria-hidden="true"></span>{e(centre)}</li>'
    legend += "".join(f'<li><span class="swatch" style="background:{c}" aria-hidden="true"></span>{e(_clean(g))}: '
                     f"{k} {'person' if k == 1 else 'people'}</li>" for g, c, k in hood.groups)
    rows = []
    for p in hood.people:
        how = ("your direct contact" if p.direct and p.hops == 1 and hood.is_you
               else f"{p.hops} {'link' if p.hops == 1 else 'links'}, through {_clean(names[p.via])}")
        rows.append(f"<tr><td>{e(_clean(p.name))}</td><td>{e(_clean(p.id))}</td><td>{e(_clean(p.group))}</td>"
                    f"<td>{e('; '.join(_clean(o) for o in p.offers))}</td><td>{e(how)}</td></tr>")
    people = ("<details><summary>Everyone in the picture, nearest first</summary><table><thead><tr><th>name</th>"
              "<th>id</th><th>group</th><th>offers</th><th>how</th></tr></thead><tbody>" + "".join(rows)
              + "</tbody></table></details>") if rows else ""
    lines = "Lines: who knows whom; the thicker, the closer (strength 0 to 1). Dashed: strength not recorded."
    if hood.is_you:
        lines += " Thin grey: your direct contacts."
    note = hood.note()
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>{e(title(hood))} – semnetz</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>{e(title(hood))}</h1>
<p>{e(_sentence(hood.summary(of=False)))}{f" {e(_sentence(note))}" if note else ""}</p>
<figure>
{inline}
<figcaption>Point at a person or a line for details.</figcaption>
</figure>
<h2>Legend</h2>
<p>Colours: what people offer.</p>
<ul class="legend">
{legend}
</ul>
<p>{e(lines)}</p>
{people}
</main>
</body>
</html>
"""
