"""No downtime while the archive grows: a served archive takes in a new newsletter issue while it is
being asked questions, answers every request meanwhile, and serves the new issue once the build is
done; a build killed midway leaves the previous generation serving."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import copy_of_corpus, write_issue
from loopback import get, served

from index.config import ROOT, Settings
from index.facade import Archive, LiveArchive, build
from index.store.generations import Store
from webapp import create_app

pytestmark = pytest.mark.slow  # servers, subprocesses or many builds: run by CI, skipped by -m 'not slow'

NEW_ISSUE = """IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 4, 15/03/2023

SOLAR KETTLES FOR BORDER VILLAGES

IOM Kyrgyzstan handed 240 solar kettles to families in border villages of Batken, where returning
migrants had no electricity through the winter months.
"""


@pytest.fixture()
def archive_settings(tmp_path: Path) -> Settings:
    archive_dir = copy_of_corpus(tmp_path / "archive")
    settings = Settings(archive_dir=archive_dir, index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    return settings


def _ask_until(port: int, stop: threading.Event, statuses: list[int]) -> None:
    while not stop.is_set():
        status, _, _ = get(port, "/api/search?q=solar+kettles&mode=hybrid")
        statuses.append(status)


def test_a_new_issue_is_served_after_its_build_and_no_request_fails(archive_settings: Settings) -> None:
    app = create_app(archive=LiveArchive(archive_settings, check_every_s=0.0))
    with served(app, threads=4) as port:
        _, _, before = get(port, "/api/issues")
        assert "2023-03-15" not in before.decode()
        stop, statuses = threading.Event(), []
        clients = [threading.Thread(target=_ask_until, args=(port, stop, statuses)) for _ in range(4)]
        for client in clients:
            client.start()
        write_issue(archive_settings.archive_dir, "2023-03_issue4.txt", NEW_ISSUE)
        build(archive_settings, show_progress=False)
        time.sleep(0.5)
        stop.set()
        for client in clients:
            client.join(timeout=60)
        _, _, after = get(port, "/api/issues")
        status, _, body = get(port, "/api/search?q=solar+kettles&mode=keyword")
    assert statuses and set(statuses) == {200}
    assert "2023-03-15" in after.decode()
    assert status == 200 and json.loads(body)["hits"][0]["issue"]["id"] == "2023-03_issue4"


def test_a_build_killed_midway_leaves_the_old_generation_serving(archive_settings: Settings) -> None:
    served_before = Archive.open(archive_settings).generation.name
    write_issue(archive_settings.archive_dir, "2023-03_issue4.txt", NEW_ISSUE)
    env = {**os.environ, "ARCHIVE_DIR": str(archive_settings.archive_dir),
           "ARCHIVE_INDEX_DIR": str(archive_settings.index_dir)}
    build_process = subprocess.Popen([str(ROOT / "scripts" / "archive"), "build"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    building = archive_settings.index_dir / "generations"
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".building-") for p in building.iterdir()) and time.monotonic() < deadline:
        assert build_process.poll() is None, "the build ended before it could be killed"
        time.sleep(0.01)
    os.killpg(build_process.pid, signal.SIGKILL)
    build_process.wait(timeout=30)

    archive = Archive.open(archive_settings)
    assert archive.generation.name == served_before
    assert all(view.issue.id != "2023-03_issue4" for view in archive.issues())
    assert archive.search("RING training", mode="keyword").hits
    report = build(archive_settings, show_progress=False)  # the next build is not hindered by the remains
    assert Archive.open(archive_settings).generation == report.generation


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stderr(server: subprocess.Popen) -> str:
    """What the server has logged so far (it is stopped first)."""
    os.killpg(server.pid, signal.SIGTERM)
    return server.communicate(timeout=30)[1].decode(errors="replace")[-5000:]


def _raw_answer(port: int, request: bytes) -> tuple[int, dict[str, str]]:
    """The status and headers of the answer to `request`, sent as bytes (one the server itself refuses)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
            received += chunk
    head = received.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    return int(head[0].split()[1]), {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}


def _maps(pid: int, generation: Path) -> bool:
    """Whether process `pid` has files of `generation` mapped (it serves from them)."""
    return any(m.path.startswith(str(generation) + os.sep) for m in psutil.Process(pid).memory_maps())


def test_every_process_of_a_multi_process_server_switches_and_no_request_fails(archive_settings: Settings) -> None:
    """scripts/serve.py with two worker processes (gunicorn, the index opened before the fork): both
    serve from the same mapped generation, both switch to the new one after a build, and no request
    fails meanwhile."""
    port = _free_port()
    env = {**os.environ, "ARCHIVE_DIR": str(archive_settings.archive_dir),
           "ARCHIVE_INDEX_DIR": str(archive_settings.index_dir), "ARCHIVE_WORKERS": "2", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "scripts.serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                if get(port, "/api/issues", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        while len(psutil.Process(server.pid).children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # gunicorn starts its workers one after the other
        workers = [child.pid for child in psutil.Process(server.pid).children()]
        assert len(workers) == 2
        before = Store(archive_settings.index_dir).current()
        assert all(_maps(pid, before) for pid in workers + [server.pid])  # one index, opened before the fork

        stop, statuses = threading.Event(), []
        clients = [threading.Thread(target=_ask_until, args=(port, stop, statuses)) for _ in range(4)]
        for client in clients:
            client.start()
        write_issue(archive_settings.archive_dir, "2023-03_issue4.txt", NEW_ISSUE)
        after = build(archive_settings, show_progress=False).generation
        deadline = time.monotonic() + 30
        while not all(_maps(pid, after) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        for client in clients:
            client.join(timeout=60)
        assert all(_maps(pid, after) for pid in workers), "a worker still serves the old generation"
        assert statuses and set(statuses) == {200}, _stderr(server)
        for _ in range(10):
            status, headers, body = get(port, "/api/search?q=solar+kettles&mode=keyword")
            assert status == 200 and json.loads(body)["hits"][0]["issue"]["id"] == "2023-03_issue4"
            assert "server" not in headers  # the site names no server, as with waitress
        status, headers = _raw_answer(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 20_000 + b"\r\n\r\n")
        assert status in (400, 431) and "nosniff" in headers.get("x-content-type-options", "") \
            and "frame-ancestors 'none'" in headers.get("content-security-policy", "") and "server" not in headers
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    assert not any(psutil.pid_exists(pid) for pid in workers)  # the workers stop with the server
