"""semnetz: ask your network in free text and get the right people.

Names are loaded on first use (PEP 562), so `semnetz --help` and `import semnetz` stay light: numpy, faiss and
duckdb load only when a network is opened.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "Network": ".network",
    "SearchResult": ".results", "ImportReport": ".results", "Match": ".results", "PathStep": ".results",
    "NeedRow": ".results", "Proposal": ".results", "IntroRow": ".results",
    "PersonRecord": ".records", "PersonEdit": ".records", "person_from_dict": ".records",
    "InputError": ".errors", "SemnetzError": ".errors", "UnknownPersonError": ".errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'semnetz' has no attribute '{name}'")


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))
