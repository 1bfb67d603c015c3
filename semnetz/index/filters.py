"""Which pieces a vector search may return: a filter any search engine can read.

A filter is a boolean mask by item id (True: allowed), made once per scope and reused by every search with it.
An engine turns it into its own form once and keeps that with the filter (`made`): FAISS an ID selector over the
mask's bits (index/vectors.py). Nothing here names an engine, so the ranking (rank/) can restrict a search
without knowing which engine runs it.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


class ItemFilter:
    def __init__(self, ids=None, mask: np.ndarray | None = None):
        """ids: the allowed item ids; or mask: a boolean array, True at the allowed ids."""
        if mask is None:
            ids = np.ascontiguousarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
            mask = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
            mask[ids] = True
        self.mask = mask
        self.count = int(mask.sum())
        self._made: dict[str, Any] = {}

    def made(self, engine: str, make: Callable[[np.ndarray], Any]) -> Any:
        """What `engine` makes of this filter (make(mask)), made once."""
        if engine not in self._made:
            self._made[engine] = make(self.mask)
        return self._made[engine]
