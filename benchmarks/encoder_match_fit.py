"""match_min_fit for new encoders by quantile matching against use-m3's calibrated 0.45: the share of labelled
fitting people (rel >= 1, in the top 10, hybrid) whose fit is at least use-m3's match_min_fit, and the fit at
which the same share of fitting people passes with the other encoder; also the share of non-fitting people
passing, both ways. Demo network, calibration sets queries + queries_check + queries_en."""
import sys, tempfile
import numpy as np
from semnetz import Network
from semnetz.evaluation import read_queries
sets = [q for name in ("queries", "queries_check", "queries_en") for q in read_queries(f"data/{name}.jsonl") if q.rel]
fits = {}
for model in sys.argv[1:]:
    with tempfile.TemporaryDirectory() as home, Network(home=home, model=model) as net:
        net.import_file("data/people.jsonl")
        results = net.search_batch([q.q for q in sets], k=10, include_all=True, hops=3)
    good = [m.fit for q, r in zip(sets, results) for m in r.matches if q.rel.get(m.id, 0) >= 1]
    bad = [m.fit for q, r in zip(sets, results) for m in r.matches if q.rel.get(m.id, 0) == 0]
    fits[model] = (np.array(good), np.array(bad))
base_good, base_bad = fits["use-m3"]
share = float((base_good >= 0.45).mean())
print(f"use-m3: {share:.3f} of fitting people pass 0.45, {(base_bad >= 0.45).mean():.3f} of the others")
for model, (good, bad) in fits.items():
    t = float(np.quantile(good, 1 - share))
    print(f"{model}: match_min_fit {t:.2f} (same share of fitting people); others passing {(bad >= t).mean():.3f}")
