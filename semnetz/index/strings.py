"""Many strings as one UTF-8 byte array with offsets: compact on disk and in memory, decoded one at a time."""

from __future__ import annotations

import numpy as np


class StringColumn:
    def __init__(self, data: np.ndarray, offsets: np.ndarray):
        self.data = data  # uint8
        self.offsets = offsets  # int64, len + 1

    @classmethod
    def of(cls, strings) -> "StringColumn":
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets)

    @classmethod
    def load(cls, arrays, prefix: str) -> "StringColumn":
        return cls(arrays[f"{prefix}_data"], arrays[f"{prefix}_offsets"])

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}_data": self.data, f"{prefix}_offsets": self.offsets}

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.data[self.offsets[i]:self.offsets[i + 1]].tobytes().decode("utf-8")

    def all(self) -> list[str]:
        text = self.data.tobytes().decode("utf-8")
        if text.isascii():
            bounds = self.offsets.tolist()
            return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        raw = self.data.tobytes()
        bounds = self.offsets.tolist()
        return [raw[a:b].decode("utf-8") for a, b in zip(bounds[:-1], bounds[1:])]

    def take(self, rows: np.ndarray) -> "StringColumn":
        """The strings at these rows, in that order (rows may drop some)."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        lengths = ends - starts
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if len(rows) == 0 or offsets[-1] == 0:
            return StringColumn(np.zeros(0, np.uint8), offsets)
        # gather byte ranges without a Python loop: index of each output byte in the input
        positions = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return StringColumn(self.data[positions], offsets)

    def first_at_least(self, value: str | bytes) -> int:
        """The first row whose string is not below value, in a column sorted bytewise (len if none)."""
        target = value.encode("utf-8") if isinstance(value, str) else value
        lo, hi = 0, len(self)
        data, offsets = self.data, self.offsets
        while lo < hi:
            mid = (lo + hi) // 2
            if data[offsets[mid]:offsets[mid + 1]].tobytes() < target:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def search_sorted(self, value: str) -> int | None:
        """Row of value in a column whose strings are sorted (bytewise), or None."""
        row = self.first_at_least(value)
        return row if row < len(self) and self[row] == value else None
