"""Bridging needs to roles through background knowledge (models/services.jsonl).

People write needs as problems ("Kind hat Fieber", "Wasserhahn tropft") and describe contacts by role
("Kinderärztin", "Klempner"). The services file lists, for ~140 kinds of service, the roles people write and the
needs people bring to them. A query that resembles a service's needs earns each person a bridge score:

    bridge = max over the query's top services j of  need_sim_j(query) × role_sim_j(person)

where need_sim_j is the query's best cosine to one of service j's needs (counted from BRIDGE_MIN_NEED_SIM) and
role_sim_j the person's best piece's cosine to one of the service's role names (rank/weights.py rescales it and
weighs the bridge in the fit). Which people hold a role is worked out when the view is built (nominations,
below), so a search only looks them up. Encoded needs and roles are cached per encoder in the user cache dir.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SERVICES_FILE = "services.jsonl"
CACHE_FORMAT = 2  # bump when what is cached changes
CATEGORIES_FILE = "categories.jsonl"  # hypernyms: "Handwerker" stands for Elektriker, Klempner, Tischler, …
CATEGORY_MIN_SIM = 0.65  # a query must resemble a category's name this much to call for all its services
CATEGORY_MARGIN = 0.05  # … and be at most this much closer to one of its services
BRIDGE_MIN_NEED_SIM = 0.5  # a query must resemble a service's needs at least this much
BRIDGE_MIN_ROLE_SIM = 0.7  # … or name one of its roles this closely
BRIDGE_SERVICES = 2  # services considered per query
# People nominated per service: those whose pieces best match one of its role names (found once per change
# of the network); only they get a bridge score.
BRIDGE_CANDIDATES = 50
# A piece whose first word is a role's name counts as this close to the role (a clause that goes on, as in
# "Tischlermeister mit eigener Werkstatt im Hinterhof", is only ~0.6 close in cosine).
ROLE_AT_HEAD_SIM = 0.95
# Words that ask for someone rather than say for what: a request of these, function words and one role's name
# ("brauche einen Klempner") names that role as plainly as the name alone, though its cosine to it is only ~0.6.
ASKING_WORDS = frozenset(
    "brauche brauchen braucht benötige benötigen suche suchen sucht gesucht empfehlung empfehlen kennt kennst "
    "jemand jemanden dringend bitte guten gute guter need needs needed looking want wanted someone somebody "
    "anyone recommend recommendation urgently urgent please good".split())


@dataclass
class ServiceHit:
    service: int
    need_sim: float
    need: str


class ServiceBridge:
    def __init__(self, services: list[dict], need_vectors: np.ndarray, role_vectors: np.ndarray,
                 categories: list[dict] | None = None, category_vectors: np.ndarray | None = None):
        self.services = services
        self.categories = categories or []
        index_of = {s["service"]: i for i, s in enumerate(services)}
        self.category_members = [[index_of[name] for name in c["services"] if name in index_of] for c in self.categories]
        self.category_name = np.array([i for i, c in enumerate(self.categories) for _ in c["names"]], dtype=np.int64)
        self._category_starts = np.searchsorted(self.category_name, np.arange(len(self.categories)))
        self.category_vectors = category_vectors if category_vectors is not None else np.zeros((0, role_vectors.shape[1]), np.float32)
        self.need_text = [n for s in services for n in s["needs"]]
        self.need_service = np.array([i for i, s in enumerate(services) for _ in s["needs"]], dtype=np.int64)
        self._need_starts = np.searchsorted(self.need_service, np.arange(len(services)))
        self.need_vectors = need_vectors
        self.role_vectors = role_vectors  # one unit vector per role name
        self.role_service = np.array([i for i, s in enumerate(services) for _ in s["roles"]], dtype=np.int64)
        self._role_starts = np.searchsorted(self.role_service, np.arange(len(services)))

    @classmethod
    def load(cls, encoder, models_dir: Path | None = None, cache_dir: Path | None = None) -> "ServiceBridge | None":
        from ..config import cache_dir as user_cache_dir, models_dir as package_models_dir, trusted

        models_dir = models_dir or package_models_dir()
        path = models_dir / SERVICES_FILE
        if not path.exists():
            return None
        raw = path.read_bytes()
        services = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
        category_path = models_dir / CATEGORIES_FILE
        raw_categories = category_path.read_bytes() if category_path.exists() else b""
        categories = [json.loads(line) for line in raw_categories.decode("utf-8").splitlines() if line.strip()]
        digest = hashlib.sha1(raw + raw_categories + f"{encoder.name}/{CACHE_FORMAT}".encode()).hexdigest()[:12]
        try:
            cache = (cache_dir or user_cache_dir()) / f"services-{_safe(encoder.name)}-{digest}.npz"
            if cache.exists() and not trusted(cache):  # not the user's own, or others may write it: made again
                raise OSError(f"untrusted cache file {cache}")
            with np.load(cache, allow_pickle=False) as z:
                return cls(services, z["needs"], z["roles"], categories, z["categories"])
        except (OSError, ValueError, KeyError):  # not cached yet (or no cache directory: encode every time)
            pass
        # needs and category names are compared with queries, as queries; roles with profile pieces too, as pieces
        # (an asymmetric encoder, e5, encodes the two sides apart; for the others they are the same)
        category_vectors = (encoder.encode_queries([n for c in categories for n in c["names"]]) if categories
                            else np.zeros((0, encoder.dim), np.float32))
        needs = encoder.encode_queries([n for s in services for n in s["needs"]])
        roles = encoder.encode_texts([r for s in services for r in s["roles"]])
        try:
            cache = (cache_dir or user_cache_dir()) / f"services-{_safe(encoder.name)}-{digest}.npz"
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, needs=needs, roles=roles.astype(np.float32), categories=category_vectors)
            tmp.chmod(0o600)  # private, whatever the umask: a cache file others could write is never read
            tmp.replace(cache)
        except OSError:  # a read-only cache still works, it just encodes again next time
            pass
        return cls(services, needs, roles.astype(np.float32), categories, category_vectors)

    def one_word_roles(self) -> dict[str, list[int]]:
        """Role names of one word (at least 4 letters), each with the services it belongs to."""
        out: dict[str, list[int]] = {}
        for j, service in enumerate(self.services):
            for role in service["roles"]:
                if len(role.split()) == 1 and len(role) >= 4 and j not in out.get(role, []):
                    out.setdefault(role, []).append(j)
        return out

    def roles_named(self, text: str) -> list[int]:
        """The services a request names by one of their one-word roles and nothing else ("brauche einen Klempner",
        "Klempner gesucht", "need a plumber": its words but function words and ASKING_WORDS are one role). A role
        that is also a category's name ("Handwerker") is left to the categories; a query that says more ("Kind
        von der Kita abholen") is left to the vectors."""
        named = getattr(self, "_named", None)
        if named is None:  # made whole, then set in one step: searches of other threads read it meanwhile
            word_roles: dict[str, set[int]] = {}
            for role, services in self.one_word_roles().items():
                word_roles.setdefault(role.lower(), set()).update(services)
            named = self._named = (word_roles, {n.lower() for c in self.categories for n in c["names"]})
        word_roles, category_words = named
        from .lexical import stopwords

        words = [w.strip(".,;:!?()[]\"'«»„“”‚‘’").lower() for w in text.split()]
        words = [w for w in words if w and w not in stopwords() and w not in ASKING_WORDS]
        if len(words) != 1 or words[0] in category_words:
            return []
        return sorted(word_roles.get(words[0], ()))

    def services_for(self, query_vectors: np.ndarray, part_vectors: list[np.ndarray] | None = None,
                     texts: list[str] | None = None) -> list[list[ServiceHit]]:
        """Per query, the services whose needs it resembles (best first, at most BRIDGE_SERVICES).

        part_vectors: per query, the vectors of its parts that can name a need by themselves (its clauses, "Unser
        Sohn zieht sich zurück, will nicht mehr in die Schule"; the query without its time): a part that says a
        need plainly counts as much as the whole query.
        texts: the queries as words; a request that names one role and nothing else (see roles_named) calls for its
        service as the role's name alone would.
        """
        sims = query_vectors @ self.need_vectors.T
        if part_vectors is not None:
            for q, parts in enumerate(part_vectors):
                if len(parts):
                    sims[q] = np.maximum(sims[q], (parts @ self.need_vectors.T).max(axis=0))
        category_sims = query_vectors @ self.category_vectors.T
        role_sims = query_vectors @ self.role_vectors.T
        out = []
        starts = self._need_starts
        for q, (row, category_row, role_row) in enumerate(zip(sims, category_sims, role_sims)):
            best = np.maximum.reduceat(row, starts)  # needs are stored service by service
            # a query that names a role ("need a plumber") calls for that service too, synonyms and all
            by_role = np.maximum.reduceat(role_row, self._role_starts)
            if texts is not None:
                by_role[self.roles_named(texts[q])] = 1.0
            named = by_role >= BRIDGE_MIN_ROLE_SIM
            best = np.where(named & (by_role > best), by_role, best)
            hits: dict[int, ServiceHit] = {}
            for j in np.argsort(-best)[:BRIDGE_SERVICES]:
                if best[j] < BRIDGE_MIN_NEED_SIM:
                    break
                lo, hi = starts[j], (starts[j + 1] if j + 1 < len(starts) else len(row))  # the service's needs
                hits[int(j)] = ServiceHit(int(j), float(best[j]), self.need_text[lo + int(np.argmax(row[lo:hi]))])
            if len(self.categories):
                best_category = np.maximum.reduceat(category_row, self._category_starts)
                # a hypernym stands for its services only when the query is (nearly) as close to it as to
                # any one service: "Handwerker" calls for all trades, "Babysitter" not for every kind of childcare
                wide = (best_category >= CATEGORY_MIN_SIM) & (best_category >= best.max() - CATEGORY_MARGIN)
                for c in np.flatnonzero(wide):
                    for j in self.category_members[c]:
                        if j not in hits or hits[j].need_sim < best_category[c]:
                            hits[j] = ServiceHit(j, float(best_category[c]), self.categories[c]["category"])
            out.append(list(hits.values()))
        return out


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:60]
