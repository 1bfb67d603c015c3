"""The store: the network's DuckDB file, the source of truth for people, pieces and their vectors, links,
needs, introductions and the audit log. All SQL lives in this package."""

from ..config import resolve_home
from .db import Store, StoreBusyError
from .tables import transaction
from .people import OFFER_KINDS, StoredItem, int_list
from .tables import Tables


def open_store(home=None, url: str | None = None, network: str | None = None, seen=None,
               replica: str | None = None) -> Store:
    """The store a network lives in, picked from `url`: none, a home's DuckDB file (the default, db.py);
    postgresql://…, the network `network` in that database (postgres.py), whose search index this machine keeps
    in `home` (else a folder of the user cache directory for that database and network) and whose searches read
    `replica` if given (a read replica of that database). A third backend is a
    module beside these two and one more branch here. ($SEMNETZ_STORE and $SEMNETZ_NETWORK are read by the
    command line, not here: a Python caller says which store it means.)"""
    if not url:
        return Store(resolve_home(home))
    from . import postgres

    if not postgres.is_url(url):
        from ..errors import InputError

        raise InputError(f"--store {url!r}: not a store this semnetz knows (a postgresql:// URL, or none for the "
                         "home's own file)", key="store_url")
    network = postgres.network_name(network)
    if replica and not postgres.is_url(replica):
        from ..errors import InputError

        raise InputError(f"--replica {replica!r}: a read replica is a postgresql:// URL", key="store_url")
    return postgres.PostgresStore(url, network, postgres.cache_home(home, url, network), seen, replica)


__all__ = ["Store", "StoreBusyError", "Tables", "transaction", "OFFER_KINDS", "StoredItem", "int_list", "open_store"]
