"""Means with bootstrap confidence intervals, and peak memory."""

from __future__ import annotations

import resource
import sys

import numpy as np


def bootstrap_ci(values, samples: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """Mean of per-query values and the bootstrap percentile interval of that mean (queries resampled)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return {"mean": None, "low": None, "high": None}
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(samples, len(values)))].mean(axis=1)
    tail = (1 - level) / 2
    return {"mean": float(values.mean()), "low": float(np.quantile(means, tail)),
            "high": float(np.quantile(means, 1 - tail))}


def percentile_ms(values_s: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values_s) * 1000, p)) if values_s else float("nan")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far. On Linux VmHWM of /proc/self/status: ru_maxrss of a child
    process can still show the parent's size from before exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
