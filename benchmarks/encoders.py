"""The encoders' costs (benchmarks/results/encoders-2026-12-07.*). Per encoder: import of 1,000 synthetic people (CLI, fresh home, background knowledge cached) and warm search at
N people (search p50/p90 over 200 synthetic queries, one at a time, after one warm-up pass; query encoding apart).
e5 raw vectors are memoised across builds of one run (same vectors, the encoder is deterministic) so that the
fusion's 10,000-person network does not encode e5 twice; import timings never use the memo."""
import json, pickle, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from semnetz import Network
from semnetz.synthetic import generate_people, generate_queries

MEMO = Path(tempfile.mkdtemp(prefix="semnetz-e5memo-")) / "e5memo.pkl"  # private (0700) to this run

def memoise_e5():
    from semnetz.encoders import e5
    memo = pickle.loads(MEMO.read_bytes()) if MEMO.exists() else {}
    original = e5.E5Encoder.raw
    def raw(self, texts, is_query):
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if (t, is_query) not in memo]
        if missing:
            for t, v in zip(missing, original(self, missing, is_query)):
                memo[(t, is_query)] = v
        return np.stack([memo[(t, is_query)] for t in texts]) if texts else np.zeros((0, 384), np.float32)
    e5.E5Encoder.raw = raw
    def save():  # and back to the real encoder: searches are timed without the memo
        MEMO.write_bytes(pickle.dumps(memo))
        e5.E5Encoder.raw = original
    return save

def import_1000(model):
    people = generate_people(1000, seed=1)
    path = Path("/tmp/enc/people-1000.jsonl")
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in people), encoding="utf-8")
    with tempfile.TemporaryDirectory() as home:
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "semnetz", "import", str(path), "--home", home, "--model", model],
                           capture_output=True, text=True)
        took = time.perf_counter() - t
    print(json.dumps({"model": model, "import_1000_s": round(took, 1), "rc": r.returncode,
                      "stdout": r.stdout[-300:], "stderr_tail": r.stderr[-400:]}), flush=True)

def warm_search(model, n):
    save = memoise_e5()
    home = Path(f"/tmp/enc/home-{model}-{n}")
    t = time.perf_counter()
    with Network(home=home, model=model) as net:
        if net.view().people_count != n:
            people = generate_people(n, seed=0)
            for s in range(0, n, 2000):
                net.import_dicts(people[s:s + 2000], source="synthetic")
                print(f"{model}: {min(s + 2000, n)} imported, {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    save()
    build = time.perf_counter() - t
    queries = generate_queries(200, seed=0)
    with Network(home=home, model=model) as net:
        enc = net.encoder
        for q in queries: net.search(q, k=5)  # warm-up pass
        times = []
        for q in queries:
            s = time.perf_counter(); net.search(q, k=5); times.append((time.perf_counter() - s) * 1000)
        enc_times = []
        for q in queries:
            s = time.perf_counter(); enc.encode_queries([q]); enc_times.append((time.perf_counter() - s) * 1000)
    p = lambda xs, f: float(np.percentile(xs, f))
    print(json.dumps({"model": model, "people": n, "build_s": round(build, 1), "search_p50_ms": round(p(times, 50), 2),
                      "search_p90_ms": round(p(times, 90), 2), "query_encode_p50_ms": round(p(enc_times, 50), 2),
                      "search_minus_encode_p50_ms": round(p(times, 50) - p(enc_times, 50), 2)}), flush=True)

if __name__ == "__main__":
    what, model = sys.argv[1], sys.argv[2]
    import_1000(model) if what == "import" else warm_search(model, int(sys.argv[3]))
