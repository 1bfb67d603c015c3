"""Moving a whole network between a home and a PostgreSQL database, both ways (`semnetz copy --to URL`,
`semnetz copy --from URL`): table by table (store/tables.py NETWORK_TABLES), the vectors with their pieces, the
sequences where they were; afterwards the same people, needs, links, introductions and audit log, and the same
export. The SQL on each side is the store's (store/tables.py, store/postgres.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .config import HOME_MODE, make_private
from .errors import SemnetzError
from .store import postgres
from .store.tables import NETWORK_TABLES


VECTOR_CHUNK = 50_000  # vectors moved at a time


def _database(url: str, network: str | None):
    """The network `network` in the database at `url`, opened with a folder of its own for its lock."""
    folder = tempfile.TemporaryDirectory(prefix="semnetz-copy-")
    store = postgres.PostgresStore(url, network, Path(folder.name), seen=lambda: -1)
    store._folder = folder  # kept as long as the store
    return store


def copy_to(net, url: str, network: str | None = None) -> dict:
    """Copy the network of `net` (a Network) into the database at `url`, as the schema `network`; refused if the
    database already holds a network of that name. Returns the counts copied. One transaction in the database
    (all or nothing); the home's writers wait meanwhile, so what is copied is one consistent state."""
    name = postgres.network_name(network)
    target = _database(url, name)
    with target.quick() as pg:
        if target.holds_network(pg):
            raise SemnetzError(f"the database already holds a network named {name!r}: copy into another "
                               "(--network NAME), or drop that schema first; nothing was changed")
    with net.store.locked("copy"), net._writing("copy") as tables:
        models = tables.people.models_in_use()
        if len(models) > 1:
            raise SemnetzError("this network is half-way through a switch of model: finish it first "
                               "(semnetz reindex), then copy")
        model = next(iter(models), None)
        ids = tables.people.ids_by_model().get(model, np.zeros(0, dtype=np.int64)) if model else []
        with target.write("copy") as into, into.transaction():
            for table in NETWORK_TABLES:
                if table != "migrations":  # the database's schema has its own, all of them
                    into.load(table, tables.dump(table))
            for start in range(0, len(ids), VECTOR_CHUNK):  # a million pieces are gigabytes as text: in chunks
                chunk = list(ids[start:start + VECTOR_CHUNK])
                into.people.vectors.write(model, chunk, tables.people.vectors_of(chunk))
            into.continue_sequences(tables.next_values())
        counts = tables.summary()
    return {**counts, "network": name}


def copy_from(url: str, home: str | os.PathLike, network: str | None = None) -> dict:
    """Make a new network in `home` (missing or empty) from the network `network` in the database at `url`: its
    tables, the vectors into the home's vector files, the search index built; whole or not at all."""
    from .backup import _check_home
    from .network import Network
    from .store.migrations import MIGRATIONS

    name = postgres.network_name(network)
    home = Path(os.fspath(home)).expanduser()
    _check_home(home)
    source = _database(url, name)
    with source.quick() as pg:
        if not source.holds_network(pg):
            raise SemnetzError(f"the database holds no network named {name!r}; nothing was written")
    with source.read() as tables:
        data = {table: tables.dump(table) for table in NETWORK_TABLES}
        dims = tables.people.dims()
        vectors = {model: (ids, tables.people.vectors.read(model, dims[model], ids))
                   for model, ids in tables.people.ids_by_model().items()}
        next_values = tables.next_values()
    known = {fn.__name__ for fn in MIGRATIONS}
    newer = sorted({row[0] for row in data["migrations"]} - known)
    if newer:
        raise SemnetzError(f"the network in the database was written by a newer semnetz (schema step {newer[0]!r}); "
                           "upgrade semnetz; nothing was written")
    model = dict(data["meta"]).get("model")
    home.parent.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    staging = Path(tempfile.mkdtemp(dir=home.parent, prefix=f".{home.name}.copying."))
    try:
        os.chmod(staging, HOME_MODE)
        with Network(home=staging, model=model) as net:
            with net.store.locked("copy"):
                with net.store.write("copy") as tables, tables.transaction():
                    for table, rows in data.items():
                        if table != "migrations":  # the new store has its own, all of them
                            tables.load(table, rows)
                    for used, (ids, rows) in vectors.items():
                        tables.people.vectors.write(used, ids, rows)
                    tables.continue_sequences(next_values)
                with net._writing("copy") as tables:
                    net._ensure_model(tables)
                    with net._changing(tables, rebuild=True):
                        tables.audit.log("copy", {"from": postgres.shown(url), "network": name})
                        tables.bump_generation()
                    counts = tables.summary()
        if home.exists():
            home.rmdir()
        os.rename(staging, home)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    make_private(home)
    return {**counts, "network": name, "home": str(home)}
