"""Numbered, named schema migrations, recorded in the ``migrations`` table and applied in order."""

from collections.abc import Callable

import numpy as np

MIGRATIONS: list[Callable] = []


def migration(fn: Callable) -> Callable:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_people_items_log(conn):
    conn.execute("CREATE SEQUENCE person_pk_seq START 1")
    conn.execute("CREATE SEQUENCE item_id_seq START 1")
    conn.execute("CREATE SEQUENCE audit_seq START 1")
    conn.execute(
        """CREATE TABLE people (
            pk INTEGER PRIMARY KEY,
            id VARCHAR NOT NULL UNIQUE,
            name VARCHAR NOT NULL,
            aliases VARCHAR[] NOT NULL,
            text VARCHAR NOT NULL,
            tags VARCHAR[] NOT NULL,
            contact VARCHAR NOT NULL,      -- JSON object
            via VARCHAR,                   -- id of the person the user knows them through
            record_hash VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )"""
    )
    # One row per searchable piece of a person: a sentence of their text, an offer, or a need.
    conn.execute(
        """CREATE TABLE items (
            item_id BIGINT PRIMARY KEY,    -- the FAISS id
            person_pk INTEGER NOT NULL,
            kind VARCHAR NOT NULL,         -- 'about' | 'offer' | 'need'
            pos INTEGER NOT NULL,
            text VARCHAR NOT NULL,
            content_hash VARCHAR NOT NULL,
            model VARCHAR NOT NULL,        -- the encoder that made the vector
            vector FLOAT[] NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX items_person ON items(person_pk)")
    conn.execute(
        """CREATE TABLE needs (
            item_id BIGINT PRIMARY KEY,
            when_text VARCHAR,
            status VARCHAR NOT NULL DEFAULT 'open',
            created_at TIMESTAMP NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY,
            logged_at TIMESTAMP NOT NULL,
            action VARCHAR NOT NULL,
            detail VARCHAR NOT NULL        -- JSON object
        )"""
    )
    conn.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")


@migration
def m002_links_need_dates_intros(conn):
    # Who knows whom: from_pk lists to_pk in their "knows"; relation says who to_pk is to from_pk ("Bruder").
    conn.execute(
        """CREATE TABLE edges (
            from_pk INTEGER NOT NULL,
            to_pk INTEGER NOT NULL,
            relation VARCHAR,
            strength DOUBLE,               -- 0..1, NULL = not said
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (from_pk, to_pk)
        )"""
    )
    conn.execute("ALTER TABLE needs ADD COLUMN due_from DATE")
    conn.execute("ALTER TABLE needs ADD COLUMN due_until DATE")
    conn.execute("CREATE SEQUENCE intro_seq START 1")
    conn.execute(
        """CREATE TABLE intros (
            intro_id INTEGER PRIMARY KEY,
            need_item_id BIGINT NOT NULL,
            person_pk INTEGER NOT NULL,    -- the person introduced to the one in need
            status VARCHAR NOT NULL,       -- 'introduced' | 'helped' | 'not_helped'
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )"""
    )


@migration
def m003_view_journal(conn):
    # Searches read a published view (index/view.py) instead of DuckDB's full-text index: drop the old one.
    conn.execute("DROP SCHEMA IF EXISTS fts_main_lexical_docs CASCADE")
    conn.execute("DROP TABLE IF EXISTS lexical_docs")
    conn.execute("DELETE FROM meta WHERE key = 'lexical_generation'")
    # What a write changed, until the view reflects it (so a crash between commit and publishing is caught up).
    conn.execute(
        """CREATE TABLE view_journal (
            pk INTEGER NOT NULL,
            what VARCHAR NOT NULL          -- 'person' (their record or pieces) | 'edges' (their links)
        )"""
    )


@migration
def m004_people_uid(conn):
    # The UID of the address-book card (vCard) a person came from: a re-import of the same export finds them.
    conn.execute("ALTER TABLE people ADD COLUMN uid VARCHAR")


@migration
def m005_vectors_out_of_the_store(conn, vectors):
    # The vectors leave DuckDB for the store's vector files (vectors.py): a remove then erases a person's vectors
    # in place instead of rewriting a gigabyte, and each vector is kept once, in fp16. The rows are written
    # (synced) before the column goes; a crash before the commit writes them again next time.
    from .vectors import DIM_KEY

    columns = {r[0] for r in conn.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'items'"
                                          ).fetchall()}
    if "vector" not in columns:
        return
    # nothing else may run on this connection while the reader streams (it would end the stream)
    dims, moved = {}, 0
    reader = conn.execute("SELECT item_id, model, vector FROM items ORDER BY item_id").to_arrow_reader(50_000)
    for batch in reader:
        if batch.num_rows == 0:
            continue
        ids = batch.column(0).to_numpy().astype(np.int64)
        models = np.asarray(batch.column(1).to_pylist(), dtype=object)
        column = batch.column(2)
        flat = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
        rows = flat.reshape(len(column), -1)
        for model in set(models.tolist()):
            mine = models == model
            vectors.write(model, ids[mine], rows[mine])
            dims[model] = rows.shape[1]
        moved += len(ids)
    if moved != conn.execute("SELECT count(*) FROM items").fetchone()[0]:
        raise RuntimeError("moving the vectors out of the store read fewer rows than it holds; nothing was changed")
    for model, dim in dims.items():
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [DIM_KEY + model, str(dim)])
    conn.execute("DROP INDEX IF EXISTS items_person")
    conn.execute("ALTER TABLE items DROP COLUMN vector")
    conn.execute("CREATE INDEX items_person ON items(person_pk)")


m005_vectors_out_of_the_store.needs_vectors = True


def applied_migrations(conn) -> list[str]:
    try:
        return [row[0] for row in conn.execute("SELECT name FROM migrations").fetchall()]
    except Exception:  # a fresh file: no migrations table yet
        return []


def pending_migrations(conn) -> list[str]:
    done = set(applied_migrations(conn))
    return [fn.__name__ for fn in MIGRATIONS if fn.__name__ not in done]


def unknown_migrations(conn) -> list[str]:
    """Schema steps recorded in the file that this semnetz does not know: written by a newer semnetz."""
    known = {fn.__name__ for fn in MIGRATIONS}
    return sorted(name for name in applied_migrations(conn) if name not in known)


def apply_migrations(conn, upto: str | None = None, vectors=None) -> list[str]:
    """Apply every migration not yet recorded (up to and including ``upto``); returns the names applied.
    ``vectors``: the store's vector files (store/vectors.py), for the steps that write them."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations").fetchall()}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            if fn.__name__ == upto:
                break
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            fn(conn, vectors) if getattr(fn, "needs_vectors", False) else fn(conn)
            conn.execute("INSERT INTO migrations VALUES (?, current_timestamp)", [fn.__name__])
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        applied.append(fn.__name__)
        if fn.__name__ == upto:
            break
    return applied
