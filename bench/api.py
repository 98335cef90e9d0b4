"""API benchmark: `sxp api` (uvicorn, SXP_API_WORKERS processes) on loopback over a pool of
1,000,000 cards.

    .venv/bin/python bench/api.py [--cards 1000000] [--upload-mb 200] [--workers N]

Prints:
- `GET /v1/cards?limit=100` at random cursors with 16 concurrent clients: p50/p95 latency and
  requests/s (target p95 < 50 ms);
- the API's RSS growth (the supervisor and its workers) while one `--upload-mb` upload streams
  in (target < 64 MB);
- `GET /health` p50/p95 while two such uploads run at once (target p95 < 50 ms).
The clients are `loadgen`'s keep-alive connections (lean, so that the load generator does not
take the cores the API needs). The per-key rate limit is set out of the way (this measures the
API, not the limiter). Uses DATABASE_URL if set, otherwise an embedded pgserver under a temp
dir; the store is the local folder under the temp dir.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
from loadgen import run_closed_loop  # bench/ is on sys.path when run as a script
from scratch_db import scratch_database

from sxp.bootstrap import bootstrap
from sxp.config import Settings
from sxp.entrypoints.api.routes.cards import _cursor
from sxp.entrypoints.keys import create_key

CLIENTS = 16


def seed_cards(uri: str, n: int) -> None:
    with psycopg.connect(uri) as conn:
        conn.execute(
            "INSERT INTO social.raw_social_profiles (platform, handle, scraped_at, content_hash)"
            " SELECT 'x', 'bench_' || g, now(), md5(g::text) FROM generate_series(1, %s) g",
            (n,))
        conn.execute(
            "INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash,"
            " readiness, readiness_score, base_confidence, execution_label, audience_pool,"
            " labeled_at, enrich_state) SELECT id, platform, handle, content_hash, 'ready',"
            " 0.5, 0.5, (ARRAY['enrich_now', 'export_only', 'hold'])[1 + id % 3],"
            " 'pool_' || (id % 7), now(), 'new' FROM social.raw_social_profiles")
        conn.execute("ANALYZE execution.lead_cards")


def start_api(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    sxp = Path(sys.executable).parent / "sxp"
    proc = subprocess.Popen([str(sxp), "api", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the API did not start")


def _tree(pid: int) -> list[Path]:
    """/proc dirs of the process and its children (uvicorn's worker processes)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = stat_file.read_text().rsplit(")", 1)[1].split()[1]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if stat_file.parent.name == str(pid) or parent == str(pid):
            found.append(stat_file.parent)
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of the API: the process and its workers."""
    total = 0.0
    for proc_dir in _tree(pid):
        try:
            lines = (proc_dir / "status").read_text().splitlines()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))
    return total / 1024


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


def timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    resp = call()
    assert resp.status_code == 200, resp.text[:200]
    return time.perf_counter() - started


def cpu_s(pid: int) -> float:
    """CPU seconds of the API: the process and its workers."""
    total = 0.0
    for proc_dir in _tree(pid):
        try:
            fields = (proc_dir / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def bench_cards(base: str, token: str, n_cards: int, requests: int, api_pid: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    paths = [f"/v1/cards?limit=100&page_token={_cursor(rng.randrange(0, n_cards - 100))}"
             for _ in range(requests)]
    run_closed_loop(base, paths[:CLIENTS * 4], clients=CLIENTS, headers=headers)  # warm up
    api_cpu, own_cpu = cpu_s(api_pid), time.process_time()
    samples, elapsed = run_closed_loop(base, paths, clients=CLIENTS, headers=headers)
    api_cpu, own_cpu = cpu_s(api_pid) - api_cpu, time.process_time() - own_cpu
    p50, p95 = percentiles(samples)
    print(f"GET /v1/cards?limit=100 ({CLIENTS} clients, {requests} requests over {n_cards:,} "
          f"cards): p50 {p50:.1f} ms, p95 {p95:.1f} ms (target < 50), "
          f"{requests / elapsed:,.0f} requests/s; CPU per request: API process "
          f"{api_cpu / requests * 1000:.1f} ms, the load generator {own_cpu / requests * 1000:.2f}"
          " ms (2 cores shared with Postgres)")


def upload_body(mb: int) -> Iterator[bytes]:
    line = b'{"platform": "x", "username": "bench_upload", "bio": "' + b"b" * 200 + b'"}\n'
    block = line * ((1 << 20) // len(line))
    for _ in range(mb):
        yield block


def upload(base: str, token: str, mb: int) -> httpx.Response:
    return httpx.post(f"{base}/v1/imports", content=upload_body(mb), timeout=600,
                      headers={"Authorization": f"Bearer {token}"})


def bench_upload(base: str, token: str, pid: int, mb: int) -> None:
    baseline = rss_mb(pid)
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    resp = upload(base, token, mb)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    assert resp.status_code in (200, 202), resp.text
    print(f"upload of {mb} MB: {elapsed:.1f} s ({mb / elapsed:.0f} MB/s); API RSS "
          f"{baseline:.0f} -> peak {peak[0]:.0f} MB, growth {peak[0] - baseline:.0f} MB "
          "(target < 64)")


def bench_health_during_uploads(base: str, token: str, mb: int) -> None:
    with ThreadPoolExecutor(2) as pool:
        uploads = [pool.submit(upload, base, token, mb + i) for i in range(2)]
        samples = []
        with httpx.Client(base_url=base, timeout=10) as client:
            while not all(u.done() for u in uploads):
                samples.append(timed(lambda: client.get("/health")))
                time.sleep(0.01)
        for u in uploads:
            assert u.result().status_code in (200, 202)
    p50, p95 = percentiles(samples)
    print(f"GET /health during two {mb} MB uploads ({len(samples)} requests): p50 {p50:.1f} ms,"
          f" p95 {p95:.1f} ms (target < 50)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--upload-mb", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None,
                        help="SXP_API_WORKERS (default: as `sxp api`, one per CPU)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sxp-bench-api-") as tmp, \
            scratch_database(Path(tmp)) as uri:
        started = time.perf_counter()
        seed_cards(uri, args.cards)
        print(f"seeded {args.cards:,} cards in {time.perf_counter() - started:.0f} s")
        env = {**os.environ, "DATABASE_URL": uri, "SXP_HOME": str(Path(tmp) / "home"),
               "SXP_ENV": "bench", "SXP_LOG_LEVEL": "WARNING", "SXP_API_RATE_PER_S": "1000000",
               "SXP_API_RATE_BURST": "1000000"}
        if args.workers:
            env["SXP_API_WORKERS"] = str(args.workers)
        settings = Settings(DATABASE_URL=uri, SXP_HOME=Path(tmp) / "home")
        app = bootstrap(settings, configure_logs=False)
        token = create_key(app, "bench", ["admin"])
        app.close()
        port = 18000 + os.getpid() % 1000
        proc = start_api(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            bench_cards(base, token, args.cards, args.requests, proc.pid)
            bench_upload(base, token, proc.pid, args.upload_mb)
            bench_health_during_uploads(base, token, args.upload_mb)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
