"""Load: 32 concurrent clients on loopback send a mix of searches (every mode), related-story lookups
and page views to the app served by waitress (as scripts/serve.py serves it, LiveArchive-backed),
while the same archive is rebuilt again and again in another thread and the server switches to each
new generation.  Every request must be answered with 200: no 5xx, no dropped or refused connection,
and memory stays bounded.

Bounded in time and count: LOAD_SECONDS (default 20) seconds or LOAD_MAX_REQUESTS (default 20000)
requests, whichever comes first; loopback (127.0.0.1) only.  The figures are printed (pytest -s).
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pytest
from conftest import copy_of_corpus
from loopback import served

from index.config import Settings
from index.facade import LiveArchive, build
from webapp import create_app

pytestmark = pytest.mark.slow  # servers, subprocesses or many builds: run by CI, skipped by -m 'not slow'

CLIENTS = 32
SERVER_THREADS = 8  # scripts/serve.py's default
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
MAX_RSS_GROWTH_MB = 400
QUERIES = ["RING training", "hotline", "7801", "remittances", "trafficking in persons", "how do migrants send money home",
           "\"border management\"", "COVID-19 vaccination", "Tajikistan AND returnees", "water -border", "АЛМАТИНСКИЙ",
           "(training OR workshop) AND Kyrgyzstan", "*ation", "migrants"]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


@pytest.fixture(scope="module")
def load_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    archive_dir = copy_of_corpus(tmp_path_factory.mktemp("load-archive"))
    settings = Settings(archive_dir=archive_dir, index_dir=tmp_path_factory.mktemp("load-index"), model=None)
    build(settings, show_progress=False)
    return settings


def request_mix(passages: list[str], issues: list[str], extra_pages: list[str]):
    """A random request path, in the proportions a public site sees."""
    def pick(rng: random.Random) -> str:
        roll = rng.random()
        query = {"q": rng.choice(QUERIES)}
        if roll < 0.35:
            return "/api/search?" + urlencode({**query, "mode": rng.choice(["hybrid", "keyword", "semantic"]),
                                               "k": rng.choice([5, 10, 50]), "offset": rng.choice([0, 0, 10])})
        if roll < 0.50:
            return "/?" + urlencode({**query, "mode": rng.choice(["hybrid", "keyword"])})
        if roll < 0.62:
            return f"/api/passages/{rng.choice(passages)}/similar?k={rng.choice([3, 10])}"
        if roll < 0.72:
            return f"/passages/{rng.choice(passages)}"
        if roll < 0.80:
            return f"/issues/{rng.choice(issues)}"
        if roll < 0.85:
            return rng.choice(["/issues", "/api/issues", "/static/style.css", "/api/openapi.json"])
        if roll < 0.90:
            return f"/api/passages/{rng.choice(passages)}"
        if roll < 0.94:
            return "/search.csv?" + urlencode(query)
        return rng.choice(extra_pages) + "?" + urlencode(query) if extra_pages else "/"
    return pick


def test_32_clients_during_rebuilds_get_no_errors(load_settings, caplog):
    caplog.set_level(logging.ERROR, logger="waitress.queue")  # 32 clients, 8 threads: a queue is expected
    live = LiveArchive(load_settings, check_every_s=0.2)
    first = live.current()
    passages = [p.id for p in first.passages]
    issues = [view.issue.id for view in first.issues()]
    app = create_app(archive=live)
    # Pages added by other features (figures) are in the mix too, when they take a query.
    extra = [rule.rule for rule in app.url_map.iter_rules()
             if "figure" in rule.rule and not rule.arguments and not rule.rule.endswith(".csv")]
    pick = request_mix(passages, issues, extra)

    statuses: Counter = Counter()
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    sent = [0]
    builds: list[str] = []
    build_errors: list[BaseException] = []

    def rebuild_again_and_again():
        while not stop.is_set():
            try:
                builds.append(build(load_settings, show_progress=False).generation.name)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                build_errors.append(exc)
                return
            stop.wait(0.5)

    def client(seed: int, port: int):
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while not stop.is_set():
                with lock:
                    if sent[0] >= MAX_REQUESTS:
                        stop.set()
                        return
                    sent[0] += 1
                path = pick(rng)
                started = time.perf_counter()
                try:
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                except Exception as exc:  # noqa: BLE001 - a dropped connection is what is counted here
                    with lock:
                        errors.append(f"{path}: {type(exc).__name__}: {exc}")
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    continue
                with lock:
                    statuses[response.status] += 1
                    latencies.append(time.perf_counter() - started)
                    if response.status != 200:
                        errors.append(f"{path}: {response.status}")
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        finally:
            connection.close()

    with served(app, threads=SERVER_THREADS) as port:
        for path in ("/", "/?q=warm", "/api/search?q=warm&mode=semantic", f"/passages/{passages[0]}"):
            http_get = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            http_get.request("GET", path)
            assert http_get.getresponse().status == 200
            http_get.close()
        rss_before = rss_mb()
        started = time.perf_counter()
        rebuilder = threading.Thread(target=rebuild_again_and_again, name="rebuild", daemon=True)
        rebuilder.start()
        clients = [threading.Thread(target=client, args=(seed, port), daemon=True) for seed in range(CLIENTS)]
        for thread in clients:
            thread.start()
        stop.wait(LOAD_SECONDS)
        stop.set()
        for thread in clients:
            thread.join(timeout=120)
        rebuilder.join(timeout=300)
        elapsed = time.perf_counter() - started
        rss_after = rss_mb()
        time.sleep(0.3)  # past check_every_s: the server looks for the last build
        served_generation = live.current().generation.name

    assert not any(thread.is_alive() for thread in clients), "a client did not stop"
    assert not build_errors, build_errors
    answered = sum(statuses.values())
    latencies.sort()
    print(f"\nload: {CLIENTS} clients, {answered} requests answered in {elapsed:.1f}s "
          f"({answered / elapsed:.0f}/s), statuses {dict(statuses)}, {len(errors)} errors; "
          f"latency p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms; {len(builds)} rebuilds during the load; "
          f"RSS {rss_before:.0f} MB before, {rss_after:.0f} MB after")
    assert not errors, errors[:20]
    assert set(statuses) == {200}
    assert answered >= CLIENTS  # every client was answered at least once
    assert builds, "no rebuild finished during the load"
    assert served_generation == builds[-1]  # the server followed the rebuilds
    assert rss_after - rss_before < MAX_RSS_GROWTH_MB
