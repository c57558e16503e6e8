"""The server part of scripts/bench: the server as scripts/run starts it, time to its first answers,
hybrid load at several concurrencies, the memory of all its processes, and adding one newsletter
issue to the archive it serves (until the server serves it) and removing it again."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

from index.facade import Settings

ROOT = Path(__file__).resolve().parent.parent
ADDED_ISSUE_FILE = "bench-added-issue.md"  # the issue add_one_issue adds, and removes again
MEMORY_SAMPLE_S = 0.5


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(connection: http.client.HTTPConnection, path: str) -> int:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status


def status_of(port: int, path: str) -> int:
    """The status of one GET on a fresh connection; 0 when the server cannot be reached."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            return get(connection, path)
        finally:
            connection.close()
    except (OSError, http.client.HTTPException):
        return 0


def search_path(query: str, mode: str) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": query, "mode": mode})


def wait_until(done: Callable[[], bool], process: subprocess.Popen, deadline: float) -> float | None:
    """The time `done()` first holds; None when `process` failed first or time ran out."""
    while time.monotonic() < deadline:
        if done():
            return time.monotonic()
        if process.poll() not in (None, 0):
            return None
        time.sleep(0.02)
    return None


def environment(settings: Settings) -> dict[str, str]:
    return {**os.environ, "ARCHIVE_INDEX_DIR": str(settings.index_dir), "ARCHIVE_DIR": str(settings.archive_dir),
            "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen
    port: int
    start_s: float  # start to the first answered keyword query
    start_hybrid_s: float  # start to the first answered hybrid query (the model loaded)


@contextmanager
def running_server(settings: Settings) -> Iterator[Server]:
    """scripts/serve.py on the index `settings` name, as scripts/run starts it (a process per core
    unless ARCHIVE_WORKERS says otherwise); stopped, with its workers, on exit."""
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "scripts.serve", "--port", str(port)], cwd=ROOT,
                               env=environment(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        answers = [wait_until(lambda m=mode: status_of(port, search_path("RING training", m)) == 200, process,
                              started + 300) for mode in ("keyword", "hybrid")]
        if None in answers:
            raise RuntimeError(f"the server did not answer (exit code {process.poll()}): "
                               f"{(process.stderr.read() if process.poll() is not None else '')[-2000:]}")
        yield Server(process, port, round(answers[0] - started, 2), round(answers[1] - started, 2))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class MemorySampler:
    """The memory of a server's processes (the server and every child), summed, sampled in a thread:
    the proportional set size of each where the system gives it (shared pages, such as a memory-mapped
    index, counted once over the processes sharing them), else the resident set."""

    def __init__(self, pid: int):
        self._pid = pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_mb = 0.0
        self.measure = "pss"
        self.processes = 0

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(MEMORY_SAMPLE_S):
            self.sample()

    def sample(self) -> None:
        parent = psutil.Process(self._pid)
        total = 0
        processes = [parent, *parent.children(recursive=True)]
        for process in processes:
            try:
                info = process.memory_full_info()
                total += getattr(info, "pss", info.rss)
                self.measure = "pss" if hasattr(info, "pss") else "rss"
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        self.peak_mb = max(self.peak_mb, round(total / 2**20, 1))
        self.processes = len(processes)


def load(port: int, clients: int, requests: int, queries: tuple[str, ...]) -> dict:
    """`requests` hybrid searches from `clients` concurrent clients (keep-alive connections where the
    server keeps them)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for n in counter:  # the shared iterator bounds the total
            path = search_path(queries[n % len(queries)], "hybrid")
            started = time.perf_counter()
            try:
                status = get(connection, path)
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += status != 200
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"rps": round(len(latencies) / wall, 1), "p95_ms": round(percentile(latencies, 95), 1),
            "p50_ms": round(percentile(latencies, 50), 1), "errors": errors[0], "requests": len(latencies)}


def serve_scale(settings: Settings, requests: int, queries: tuple[str, ...],
                write_issue: Callable[[Path], str]) -> dict:
    """Start the server on the scale's index; time to the first answered keyword and hybrid query;
    hybrid load at 1, 4, 16 clients and the memory of all server processes meanwhile; then one issue
    added (`write_issue` writes it and gives its id) and removed, while the server runs."""
    with running_server(settings) as server:
        result = {"start_s": server.start_s, "start_hybrid_s": server.start_hybrid_s, "clients": {}}
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for query in queries:  # warm-up
            get(connection, search_path(query, "hybrid"))
        connection.close()
        with MemorySampler(server.process.pid) as memory:
            for clients in (1, 4, 16):
                result["clients"][str(clients)] = load(server.port, clients, requests, queries)
        result["rss_mb"], result["rss_measure"] = memory.peak_mb, memory.measure
        result["workers"] = max(1, memory.processes - 1)  # a single process serves alone; else its workers do
        result["add"] = add_one_issue(settings, server, write_issue)
        return result


def _archive_command(settings: Settings, *args: str) -> subprocess.Popen:
    """scripts/archive as its wrapper runs it (the wrapper's virtual environment check left out)."""
    return subprocess.Popen([sys.executable, "-m", "scripts.cli", *args], cwd=ROOT, env=environment(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def serving_newer(server: Server, generations: Path, before: str) -> bool:
    """Whether every process of `server` that answers requests serves (has mapped the files of) a
    generation newer than `before`: each switches on its own, within a second of a build."""
    parent = psutil.Process(server.process.pid)
    processes = parent.children() or [parent]
    prefix = str(generations) + os.sep
    return all(any(m.path.startswith(prefix) and m.path[len(prefix):].split(os.sep)[0] > before
                   for m in process.memory_maps()) for process in processes)


def add_one_issue(settings: Settings, server: Server, write_issue: Callable[[Path], str]) -> dict:
    """`scripts/archive add` of one new issue: seconds until every server process serves it (a newer
    generation, and its /api/issues page answers), and of the whole command; then the file removed
    and the archive built again, until no server process serves it, so the archive stays as it was."""
    generations = settings.index_dir / "generations"
    page = lambda: status_of(server.port, f"/api/issues/{issue_id}")  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ADDED_ISSUE_FILE
        issue_id = write_issue(path)
        before = (settings.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        started = time.monotonic()
        add = _archive_command(settings, "add", str(path), "--json")
        served_at = wait_until(lambda: serving_newer(server, generations, before) and page() == 200, add,
                               started + 1800)
        out, err = add.communicate(timeout=1800)
        finished = time.monotonic()
    if add.returncode != 0 or served_at is None:
        raise RuntimeError(f"adding one issue failed (exit code {add.returncode}): {err[-2000:]}")
    report = json.loads(out)["build"]
    result = {"add_one_issue_s": round(served_at - started, 2), "add_command_s": round(finished - started, 2),
              "passages": report["passages"], "build_seconds": report["seconds"], "updated": report["updated"],
              "served_first": report["served_first"]}
    (settings.archive_dir / ADDED_ISSUE_FILE).unlink()
    before = (settings.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    started = time.monotonic()
    rebuild = _archive_command(settings, "build", "--json")
    gone_at = wait_until(lambda: serving_newer(server, generations, before) and page() == 404, rebuild,
                         started + 1800)
    _, err = rebuild.communicate(timeout=1800)
    if rebuild.returncode != 0 or gone_at is None:
        raise RuntimeError(f"removing the added issue failed (exit code {rebuild.returncode}): {err[-2000:]}")
    result["remove_one_issue_s"] = round(gone_at - started, 2)
    return result
