"""The store: the network's DuckDB file, the source of truth for people, pieces and their vectors, links,
needs, introductions and the audit log. All SQL lives in this package."""

from .db import Store, StoreBusyError
from .tables import transaction
from .people import OFFER_KINDS, StoredItem, int_list
from .tables import Tables

__all__ = ["Store", "StoreBusyError", "Tables", "transaction", "OFFER_KINDS", "StoredItem", "int_list"]
