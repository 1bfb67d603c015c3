"""People and their searchable pieces in DuckDB (every SQL statement about them), and the pieces' vectors in the
store's vector files (vectors.py)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from .vectors import DIM_KEY, StoreVectors

PHONE_TAIL = 7  # digits at the end of a phone number the store compares before the exact comparison

# Pieces that describe what someone is or offers (searched for needs); a need is a piece of its own kind.
OFFER_KINDS = ("about", "offer", "offer_part")


@dataclass
class StoredItem:
    item_id: int
    person_pk: int
    kind: str
    pos: int
    text: str
    content_hash: str
    model: str


def int_list(values) -> str:
    """An SQL IN list of integers, inlined: DuckDB binds each ? parameter slowly (many per query add up to
    tens of ms), and the values are ints we produced, so inlining is safe."""
    return "(" + ",".join(str(int(v)) for v in values) + ")"


def _kinds_sql(kinds: tuple[str, ...]) -> str:
    return ",".join(f"'{k}'" for k in kinds)  # our own constants


@contextmanager
def registered(conn, name: str, columns: dict):
    """An Arrow table visible to SQL as `name` for the duration of the block (bulk inserts and updates;
    executemany manages a few hundred rows a second, this tens of thousands)."""
    import pyarrow as pa

    conn.register(name, pa.table(columns))
    try:
        yield name
    finally:
        conn.unregister(name)


def take_ids(conn, sequence: str, n: int) -> np.ndarray:
    """The next n values of one of the store's sequences (tables.SEQUENCES), taken."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    rows = conn.execute(f"SELECT nextval('{sequence}') FROM range(?)", [int(n)]).fetchall()
    return np.array([r[0] for r in rows], dtype=np.int64)


class PeopleTable:
    # Pieces are read whole before their vectors (not streamed): for a store whose vectors are read through the
    # same connection (PostgreSQL, store/postgres.py), where another statement would end the stream.
    STREAMS = True

    def __init__(self, conn, vectors: StoreVectors | None = None, take=take_ids):
        self.conn = conn
        self.vectors = vectors  # the store's vector files (None: a store opened only to count, backup.py)
        self.take = take  # take(conn, sequence, n): new ids

    # ---- people ----
    def pk(self, person_id: str) -> int | None:
        row = self.conn.execute("SELECT pk FROM people WHERE id = ?", [person_id]).fetchone()
        return row[0] if row else None

    def identity_candidates(self, names: list[str], uids: list[str], emails: list[str],
                            phone_tails: list[str]) -> list[tuple]:
        """(id, lower-cased name, uid, phone, email, record hash) of every stored person who has one of these
        names (case aside) or uids, an e-mail address one of these (case aside), or a phone number whose digits
        end in one of these tails; oldest first. (The caller compares phone numbers exactly.)"""
        if not (names or uids or emails or phone_tails):
            return []
        import pyarrow as pa

        with registered(self.conn, "_want_names", {"v": pa.array(names, pa.string())}), \
                registered(self.conn, "_want_uids", {"v": pa.array(uids, pa.string())}), \
                registered(self.conn, "_want_emails", {"v": pa.array(emails, pa.string())}), \
                registered(self.conn, "_want_tails", {"v": pa.array(phone_tails, pa.string())}):
            return self.conn.execute(
                f"""WITH p AS (SELECT pk, id, name, uid, record_hash,
                                      json_extract_string(contact, '$.phone') AS phone,
                                      json_extract_string(contact, '$.email') AS email FROM people)
                    SELECT id, lower(name), uid, phone, email, record_hash FROM p
                    WHERE lower(name) IN (SELECT lower(v) FROM _want_names)
                       OR uid IN (SELECT v FROM _want_uids)
                       OR lower(trim(email)) IN (SELECT v FROM _want_emails)
                       OR right(regexp_replace(phone, '[^0-9]', '', 'g'), {PHONE_TAIL}) IN (SELECT v FROM _want_tails)
                    ORDER BY pk""").fetchall()

    def with_name(self, name: str) -> list[str]:
        """ids of the people called this (case aside), oldest first."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM people WHERE lower(name) = lower(?) ORDER BY pk", [name]).fetchall()]

    def ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM people").fetchall()}

    def id_map(self, pks: list[int] | None = None) -> dict[int, str]:
        """pk -> id of these people (None: everyone), ordered by id."""
        if pks is not None and not len(pks):
            return {}
        where = "" if pks is None else f" WHERE pk IN {int_list(pks)}"
        return dict(self.conn.execute(f"SELECT pk, id FROM people{where} ORDER BY id").fetchall())

    def next_number(self) -> int:
        return self.conn.execute("SELECT count(*) FROM people").fetchone()[0] + 1

    def row(self, pk: int) -> dict:
        return self.rows([pk])[0]

    def rows(self, pks: list[int] | None = None) -> list[dict]:
        sql = "SELECT pk, id, name, aliases, text, tags, contact, via, uid FROM people"
        if pks is not None:
            if not pks:
                return []
            sql += f" WHERE pk IN {int_list(pks)}"
        cur = self.conn.execute(sql + " ORDER BY id")
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        for r in rows:
            r["contact"] = json.loads(r["contact"])
        return rows

    def pks_and_hashes(self, person_ids: list[str]) -> dict[str, tuple[int, str]]:
        """id -> (pk, record hash) of the stored people among these ids (one query)."""
        if not person_ids:
            return {}
        import pyarrow as pa

        # a registered Arrow column, not a list parameter: DuckDB converts parameters one Python object at a time
        with registered(self.conn, "_ids", {"id": pa.array(person_ids, pa.string())}):
            rows = self.conn.execute(
                "SELECT p.id, p.pk, p.record_hash FROM people p JOIN _ids w USING (id)").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def upsert(self, rows: list[tuple]) -> dict[str, int]:
        """Insert or update people in bulk; rows are (id, name, aliases, text, tags, contact, via, record_hash)
        and optionally uid. Returns id -> pk for all of them."""
        import pyarrow as pa

        if not rows:
            return {}
        now = datetime.now()
        cols = list(zip(*rows))
        uids = cols[8] if len(cols) > 8 else [None] * len(rows)
        with registered(self.conn, "_people_batch", {
            "id": pa.array(cols[0], pa.string()), "name": pa.array(cols[1], pa.string()),
            "aliases": pa.array(cols[2], pa.list_(pa.string())), "text": pa.array(cols[3], pa.string()),
            "tags": pa.array(cols[4], pa.list_(pa.string())),
            "contact": pa.array([json.dumps(c, ensure_ascii=False) for c in cols[5]], pa.string()),
            "via": pa.array(cols[6], pa.string()), "record_hash": pa.array(cols[7], pa.string()),
            "uid": pa.array(uids, pa.string()),
        }):
            self.conn.execute(
                """UPDATE people SET name = b.name, aliases = b.aliases, text = b.text, tags = b.tags,
                          contact = b.contact, via = b.via, record_hash = b.record_hash, uid = b.uid, updated_at = ?
                   FROM _people_batch b WHERE people.id = b.id""", [now])
            new = [r[0] for r in self.conn.execute(
                "SELECT b.id FROM _people_batch b WHERE b.id NOT IN (SELECT id FROM people)").fetchall()]
            with registered(self.conn, "_new_pks", {"id": pa.array(new, pa.string()),
                                                    "pk": pa.array(self.take(self.conn, "person_pk_seq", len(new)),
                                                                   pa.int32())}):
                self.conn.execute(
                    """INSERT INTO people (pk, id, name, aliases, text, tags, contact, via, record_hash, created_at,
                                          updated_at, uid)
                       SELECT n.pk, b.id, b.name, b.aliases, b.text, b.tags, b.contact, b.via, b.record_hash, ?, ?, b.uid
                       FROM _people_batch b JOIN _new_pks n USING (id)""", [now, now])
            return dict(self.conn.execute("SELECT p.id, p.pk FROM people p JOIN _people_batch b USING (id)").fetchall())

    def delete(self, pk: int) -> list[int]:
        """Delete a person and their pieces (needs and introductions of those pieces too); returns the item ids."""
        item_ids = [r[0] for r in self.conn.execute("SELECT item_id FROM items WHERE person_pk = ?", [pk]).fetchall()]
        self.delete_items(item_ids)
        self.conn.execute("DELETE FROM people WHERE pk = ?", [pk])
        return item_ids

    def texts_of(self, pk: int) -> list[str]:
        """The texts of a person's pieces (about clauses, offers, needs)."""
        return [r[0] for r in self.conn.execute("SELECT text FROM items WHERE person_pk = ? ORDER BY item_id",
                                                [pk]).fetchall()]

    def known_through(self, person_id: str) -> list[int]:
        """pks of the people known only through this person ('via')."""
        return [r[0] for r in self.conn.execute("SELECT pk FROM people WHERE via = ?", [person_id]).fetchall()]

    def clear_via(self, person_id: str) -> None:
        """People known only through this person become direct contacts."""
        self.conn.execute("UPDATE people SET via = NULL WHERE via = ?", [person_id])

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM people").fetchone()[0]

    def counts(self) -> dict[str, int]:
        """People, direct contacts (known through nobody), and pieces by kind."""
        people, direct = self.conn.execute("SELECT count(*), count(*) FILTER (WHERE via IS NULL) FROM people").fetchone()
        kinds = dict(self.conn.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())
        return {"people": people, "direct_contacts": direct, "offers": kinds.get("offer", 0),
                "about_clauses": kinds.get("about", 0), "needs": kinds.get("need", 0)}

    # ---- items (searchable pieces with vectors) ----
    def items_of(self, pks: list[int] | None) -> list[StoredItem]:
        """The pieces of these people (None: everyone's)."""
        if pks is not None and not pks:
            return []
        where = "" if pks is None else f"WHERE person_pk IN {int_list(pks)}"
        rows = self.conn.execute(
            f"SELECT item_id, person_pk, kind, pos, text, content_hash, model FROM items {where} "
            "ORDER BY person_pk, kind, pos"
        ).fetchall()
        return [StoredItem(*r) for r in rows]

    def new_item_ids(self, n: int) -> np.ndarray:
        return self.take(self.conn, "item_id_seq", n)

    def insert_items(self, item_ids, person_pks, kinds, positions, texts, hashes, model: str, vectors: np.ndarray):
        """New pieces: their vectors are written (and synced) to the vector file first, their rows then."""
        import pyarrow as pa

        if len(item_ids) == 0:
            return
        self._write_vectors(model, item_ids, vectors)
        with registered(self.conn, "_new_items", {
            "item_id": pa.array(np.asarray(item_ids, dtype=np.int64)),
            "person_pk": pa.array(np.asarray(person_pks, dtype=np.int32)),
            "kind": pa.array(list(kinds), pa.string()),
            "pos": pa.array(np.asarray(positions, dtype=np.int32)),
            "text": pa.array(list(texts), pa.string()),
            "content_hash": pa.array(list(hashes), pa.string()),
            "model": pa.array([model] * len(item_ids), pa.string()),
        }):
            self.conn.execute("INSERT INTO items SELECT * FROM _new_items")

    def _write_vectors(self, model: str, item_ids, vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        self.vectors.write(model, item_ids, vectors)
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [DIM_KEY + model, str(vectors.shape[1])])

    def dims(self) -> dict[str, int]:
        """model -> the dimension of its vectors."""
        rows = self.conn.execute("SELECT key, value FROM meta WHERE starts_with(key, ?)", [DIM_KEY]).fetchall()
        return {key[len(DIM_KEY):]: int(value) for key, value in rows}

    def set_item_positions(self, updates: list[tuple[int, int]]) -> None:
        if not updates:
            return
        ids, positions = zip(*updates)
        with registered(self.conn, "_positions", {"item_id": list(ids), "pos": list(positions)}):
            self.conn.execute("UPDATE items SET pos = b.pos FROM _positions b WHERE items.item_id = b.item_id")

    def replace_vectors(self, item_ids: list[int], vectors: np.ndarray, model: str) -> None:
        """New vectors (and model) for existing items; the item ids, and so the FAISS ids, stay. Another model's
        vectors go to that model's file (the rows of the old one stay until the reindex is done, vectors.py)."""
        import pyarrow as pa

        if not item_ids:
            return
        self._write_vectors(model, item_ids, vectors)
        with registered(self.conn, "_new_model", {"item_id": pa.array(np.asarray(item_ids, dtype=np.int64))}):
            self.conn.execute("UPDATE items SET model = ? FROM _new_model n WHERE items.item_id = n.item_id", [model])

    def delete_items(self, item_ids: list[int]) -> None:
        """Delete pieces; their vectors are erased once the delete has committed (vectors.py)."""
        for start in range(0, len(item_ids), 1000):
            chunk = int_list(item_ids[start:start + 1000])
            if self.vectors is not None:
                freed: dict[str, list[int]] = {}
                for item_id, model in self.conn.execute(
                        f"SELECT item_id, model FROM items WHERE item_id IN {chunk}").fetchall():
                    freed.setdefault(model, []).append(item_id)
                self.vectors.to_erase(freed)
            self.conn.execute(f"DELETE FROM needs WHERE item_id IN {chunk}")
            self.conn.execute(f"DELETE FROM intros WHERE need_item_id IN {chunk}")
            self.conn.execute(f"DELETE FROM items WHERE item_id IN {chunk}")

    def named(self, item_ids) -> list[int]:
        """Which of these item ids a piece has."""
        if not len(item_ids):
            return []
        return [r[0] for r in self.conn.execute(
            f"SELECT item_id FROM items WHERE item_id IN {int_list(item_ids)}").fetchall()]

    def item_ids(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT item_id FROM items ORDER BY item_id").fetchall()]

    def texts_between(self, first: int, last: int) -> dict[int, str]:
        return dict(self.conn.execute(
            "SELECT item_id, text FROM items WHERE item_id BETWEEN ? AND ?", [first, last]).fetchall())

    def vectors_of(self, item_ids: list[int]) -> np.ndarray:
        """Stored vectors of these items, in their order."""
        if not len(item_ids):
            return np.zeros((0, 0), dtype=np.float32)
        ids = np.asarray(item_ids, dtype=np.int64)
        models = dict(self.conn.execute(f"SELECT item_id, model FROM items WHERE item_id IN {int_list(ids)}"
                                        ).fetchall())
        return self._read_vectors(ids, [models[i] for i in ids.tolist()], self.dims())

    def _read_vectors(self, ids: np.ndarray, models: list[str], dims: dict[str, int]) -> np.ndarray:
        """The vectors of these items (of these models, whose dimensions are `dims`), in their order."""
        kinds = sorted(set(models))
        if len(kinds) == 1:
            return self.vectors.read(kinds[0], dims[kinds[0]], ids)
        model_of = np.asarray(models, dtype=object)
        out = np.zeros((len(ids), dims[kinds[0]]), dtype=np.float32)
        for model in kinds:  # an interrupted reindex to a model of the same dimension
            rows = np.flatnonzero(model_of == model)
            out[rows] = self.vectors.read(model, dims[model], ids[rows])
        return out

    def iter_pieces(self, kinds: tuple[str, ...], pks: list[int] | None = None, chunk: int = 100_000,
                    sample: int | None = None, with_text: bool = True):
        """Pieces of these kinds (of these people, or everyone) in chunks of (item ids, person pks, kinds,
        texts, vectors), ordered by item id; or one random sample of that many (vectors only), so an index
        over millions of pieces is built without holding every vector at once."""
        where = f"kind IN ({_kinds_sql(kinds)})"
        if pks is not None:
            if not len(pks):
                return
            where += " AND person_pk IN (SELECT pk FROM _pks)"
        columns = "item_id, person_pk, kind, text, model" if with_text else "item_id, person_pk, model"
        sql = f"SELECT {columns} FROM items WHERE {where}"
        if sample is not None:  # sampled after the filter (USING SAMPLE on the table would sample before it)
            sql = f"SELECT * FROM ({sql}) USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE (1)"
        else:
            sql += " ORDER BY item_id"
        dims = self.dims()  # before the stream: another statement on this connection would end it
        with _pk_table(self.conn, pks):
            result = self.conn.execute(sql)
            reader = result.to_arrow_reader(chunk) if self.STREAMS else result.to_arrow_table().to_batches(chunk)
            for batch in reader:
                if batch.num_rows == 0:
                    continue
                ids = batch.column(0).to_numpy().astype(np.int64)
                owners = batch.column(1).to_numpy().astype(np.int64)
                vectors = self._read_vectors(ids, batch.column(batch.num_columns - 1).to_pylist(), dims)
                if with_text:
                    yield ids, owners, batch.column(2).to_pylist(), batch.column(3).to_pylist(), vectors
                else:
                    yield ids, owners, None, None, vectors

    def count_items(self, kinds: tuple[str, ...]) -> int:
        return self.conn.execute(f"SELECT count(*) FROM items WHERE kind IN ({_kinds_sql(kinds)})").fetchone()[0]

    def piece_texts(self, item_ids: list[int]) -> dict[int, tuple[str, str]]:
        """item id -> (text, kind)."""
        if not item_ids:
            return {}
        rows = self.conn.execute(
            f"SELECT item_id, text, kind FROM items WHERE item_id IN {int_list(item_ids)}").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def pieces_headed_by(self, words: list[str], kinds: tuple[str, ...], per_word: int,
                         pks: list[int] | None = None) -> list[tuple[int, int, str]]:
        """(item id, person pk, word) of the pieces of these kinds (of these people, or everyone) whose first word
        is one of these words, compared lower-case without accents and punctuation ("Tischlermeister mit eigener
        Werkstatt" is headed by "Tischlermeister"); at most per_word pieces per word."""
        if not words or (pks is not None and not len(pks)):
            return []

        def key(column: str) -> str:
            return f"regexp_replace(lower(strip_accents(split_part(trim({column}), ' ', 1))), '[^a-z0-9]', '', 'g')"

        only = "" if pks is None else " AND i.person_pk IN (SELECT pk FROM _pks)"
        with registered(self.conn, "_heads", {"word": words}), _pk_table(self.conn, pks):
            return self.conn.execute(
                f"""SELECT i.item_id, i.person_pk, h.word FROM items i JOIN _heads h ON {key('i.text')} = {key('h.word')}
                    WHERE i.kind IN ({_kinds_sql(kinds)}){only}
                    QUALIFY row_number() OVER (PARTITION BY h.word ORDER BY i.item_id) <= {int(per_word)}""").fetchall()

    def view_rows(self, pks: list[int] | None) -> dict[str, list]:
        """What the search view keeps of these people (or everyone), by pk: id, name, aliases, tags, whether
        they are a direct contact, their contact (JSON), what they say about their time (text and offers), and how often they helped."""
        only = "" if pks is None else "WHERE p.pk IN (SELECT pk FROM _pks)"
        with _pk_table(self.conn, pks):
            result = self.conn.execute(
                f"""SELECT p.pk, p.id, p.name, p.aliases, p.tags, p.via IS NULL AS direct, p.contact,
                           concat_ws(' ', p.text, (SELECT string_agg(i.text, ' ' ORDER BY i.pos) FROM items i
                                                   WHERE i.person_pk = p.pk AND i.kind = 'offer')) AS availability,
                           (SELECT count(*) FROM intros t WHERE t.person_pk = p.pk AND t.status = 'helped') AS helped
                    FROM people p {only} ORDER BY p.pk""").fetchall()
        columns = ("pk", "id", "name", "aliases", "tags", "direct", "contact", "availability", "helped")
        return {c: [row[i] for row in result] for i, c in enumerate(columns)}

    def lexical_terms(self, pks: list[int] | None, too_common: int) -> dict[str, np.ndarray | list]:
        """Postings of each person's text, offers and tags (of these people, or everyone), tokenised and stemmed
        by DuckDB (the FTS extension's Snowball stem(), as the query side stems, index/lexical.py): terms sorted
        with their document frequency; (term row, pk, term frequency) for terms used by at most too_common
        people; document lengths."""
        load_fts(self.conn)
        only = "" if pks is None else "AND p.pk IN (SELECT pk FROM _pks)"
        with _pk_table(self.conn, pks):
            self.conn.execute(
                f"""CREATE OR REPLACE TEMP TABLE _tokens AS
                    WITH docs AS (
                        SELECT p.pk, concat_ws(' ', p.text, (SELECT string_agg(i.text, ' ' ORDER BY i.pos) FROM items i
                                WHERE i.person_pk = p.pk AND i.kind = 'offer'), array_to_string(p.tags, ' ')) AS body
                        FROM people p WHERE true {only})
                    SELECT pk, {_stem('w')} AS term FROM (
                        SELECT pk, unnest(string_split_regex({_tokenised('body')}, '\\s+')) AS w FROM docs)
                    WHERE w <> ''""")
        try:
            self.conn.execute(
                """CREATE OR REPLACE TEMP TABLE _terms AS
                   SELECT term, count(DISTINCT pk)::INTEGER AS df, (row_number() OVER (ORDER BY term) - 1)::INTEGER AS row
                   FROM _tokens GROUP BY term""")
            terms = self.conn.execute("SELECT term, df FROM _terms ORDER BY row").fetchnumpy()
            postings = self.conn.execute(
                f"""SELECT t.row, k.pk, count(*)::INTEGER AS tf FROM _tokens k JOIN _terms t USING (term)
                    WHERE t.df <= {int(too_common)} GROUP BY t.row, k.pk ORDER BY t.row, k.pk""").fetchnumpy()
            lengths = self.conn.execute("SELECT pk, count(*)::INTEGER AS n FROM _tokens GROUP BY pk ORDER BY pk").fetchnumpy()
        finally:
            self.conn.execute("DROP TABLE IF EXISTS _tokens")
            self.conn.execute("DROP TABLE IF EXISTS _terms")
        return {"terms": [str(t) for t in terms["term"]], "df": np.asarray(terms["df"], np.int32),
                "post_term": np.asarray(postings["row"], np.int64), "post_pk": np.asarray(postings["pk"], np.int64),
                "post_tf": np.asarray(postings["tf"], np.float32),
                "doc_pk": np.asarray(lengths["pk"], np.int64), "doc_len": np.asarray(lengths["n"], np.float32)}

    def ids_by_model(self) -> dict[str, np.ndarray]:
        """Every piece's item id, by the model of its vector (sorted)."""
        rows = self.conn.execute("SELECT model, list(item_id ORDER BY item_id) FROM items GROUP BY model").fetchall()
        return {model: np.asarray(ids, dtype=np.int64) for model, ids in rows}

    def models_in_use(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT DISTINCT model FROM items").fetchall()}


FTS_VERSION = "v1.5.5"


def load_fts(conn) -> None:
    """Load DuckDB's FTS extension (for its stem() function: Snowball, as the query side's stemmer in
    index/lexical.py) from its PyPI package by path: INSTALL would need the internet."""
    import duckdb_extension_fts

    from .db import _quoted

    path = Path(duckdb_extension_fts.__file__).parent / "extensions" / FTS_VERSION / "fts.duckdb_extension"
    conn.execute(f"LOAD '{_quoted(str(path))}'")


def _stem(column: str) -> str:
    return f"stem({column}, 'german')"


def _tokenised(column: str) -> str:
    """DuckDB FTS's own tokenising (lower-case, accents stripped, anything but a-z a separator)."""
    return f"regexp_replace(lower(strip_accents({column})), '(\\\\.|[^a-z])+', ' ', 'g')"


@contextmanager
def _pk_table(conn, pks):
    """The pks as a temporary table `_pks` (None: no table, the query covers everyone)."""
    if pks is None:
        yield
        return
    with registered(conn, "_pks", {"pk": np.asarray(pks, dtype=np.int32)}):
        yield
