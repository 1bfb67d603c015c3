"""semnetz: ask your network in free text and get the right people."""

from .errors import InputError, SemnetzError
from .network import ImportReport, Network, SearchResult
from .records import PersonRecord, person_from_dict

__all__ = ["Network", "SearchResult", "ImportReport", "PersonRecord", "person_from_dict", "InputError", "SemnetzError"]
__version__ = "0.1.0"
