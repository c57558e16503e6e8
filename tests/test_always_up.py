"""The site comes up whenever a good index generation exists, and a damaged file is never shared.

- `scripts/run` serves the last good generation at once when the index must be built (the archive
  changed, the served generation is damaged) and builds in the background, switching when the
  build is done; a background build that fails is logged and the last good generation keeps serving.
- Kept generations share no file: an unchanged rebuild copies the keyword and figure indexes it
  takes over, so damage to one generation's segment leaves the other whole.
- A segment damaged under a running server makes the searches that read it answer 503 with the
  reason, never 500.

Small archives are written and indexed here; `scripts/run` runs as a child process on a free port.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BEEKEEPING_ISSUE as NEW_ISSUE
from conftest import TWO_STORY_ISSUE as OLD_ISSUE
from conftest import copy_of_corpus, write_issue

from index.config import ROOT, Settings
from index.facade import Archive, build
from index.store.generations import Store, read_manifest, verify_checksums
from webapp import create_app


@pytest.fixture()
def settings(tmp_path) -> Settings:
    write_issue(tmp_path / "archive", "2021-03.txt", OLD_ISSUE)
    settings = Settings(archive_dir=tmp_path / "archive", index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    return settings


def segment(generation: Path) -> Path:
    return max((generation / "keyword").glob("*.seg"), key=lambda p: p.stat().st_size)


def damage(path: Path) -> None:
    """Flip the bytes of the middle half of `path`, in place (the same file, as a disk error would)."""
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 4, len(data) * 3 // 4):
        data[i] ^= 0x5A
    with path.open("r+b") as handle:
        handle.write(data)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Run:
    """`scripts/run` as a child process, its output in a file."""

    def __init__(self, settings: Settings, log: Path):
        self.port = free_port()
        self.log = log
        env = {**os.environ, "ARCHIVE_DIR": str(settings.archive_dir), "ARCHIVE_INDEX_DIR": str(settings.index_dir)}
        with log.open("w") as output:
            self.process = subprocess.Popen([str(ROOT / "scripts" / "run"), "--port", str(self.port)], env=env,
                                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)

    def get(self, path: str) -> tuple[int, dict]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()

    def first_answer(self, path: str, within: float = 120) -> tuple[int, dict]:
        deadline = time.monotonic() + within
        while True:
            assert self.process.poll() is None, self.output()
            try:
                return self.get(path)
            except OSError:
                assert time.monotonic() < deadline, self.output()
                time.sleep(0.05)

    def wait_for(self, words: str, within: float = 180) -> None:
        deadline = time.monotonic() + within
        while words not in self.output():
            assert self.process.poll() is None and time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


@pytest.fixture()
def run(tmp_path):
    started = []

    def start(settings: Settings) -> Run:
        started.append(Run(settings, tmp_path / f"run-{len(started)}.log"))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def issue_ids(run: Run) -> set[str]:
    status, body = run.get("/api/issues")
    assert status == 200, body
    return {issue["id"] for issue in body["issues"]}


@pytest.mark.slow
def test_a_changed_archive_is_built_in_the_background_while_the_last_generation_serves(settings, run):
    write_issue(settings.archive_dir, "2022-12.txt", NEW_ISSUE)
    server = run(settings)
    status, body = server.first_answer("/api/issues")
    assert status == 200 and {issue["id"] for issue in body["issues"]} == {"2021-03"}  # served before the build
    server.wait_for("the background build is done")
    deadline = time.monotonic() + 30
    while issue_ids(server) != {"2021-03", "2022-12"}:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.2)
    status, body = server.get("/api/search?q=beehives+Naryn&mode=keyword")
    assert status == 200 and body["hits"][0]["issue"]["id"] == "2022-12"


@pytest.mark.slow
def test_a_failed_background_build_is_reported_and_the_last_generation_keeps_serving(settings, run):
    (settings.archive_dir / "catalog.toml").write_text("this is [not toml\n", encoding="utf-8")
    server = run(settings)
    assert server.first_answer("/api/issues")[0] == 200
    server.wait_for("the background build failed")
    assert "catalog" in server.output()  # the build's own message says what is wrong
    assert server.process.poll() is None
    assert server.get("/api/search?q=school+books&mode=keyword")[0] == 200


@pytest.mark.slow
def test_a_generation_damaged_at_restart_is_skipped_for_the_last_good_one_and_rebuilt(settings, run):
    first = Store(settings.index_dir).current()
    second = build(settings, show_progress=False).generation  # takes the keyword index over from the first
    damage(segment(second))
    verify_checksums(first, read_manifest(first))  # the first generation does not share the damaged file

    server = run(settings)
    status, body = server.first_answer("/api/search?q=school+books&mode=keyword")
    assert status == 200 and body["hits"], server.output()
    assert f"serving {first.name}, the last good generation" in server.output()
    server.wait_for("the background build is done")
    current = Store(settings.index_dir).current()
    assert current not in (first, second)
    verify_checksums(current, read_manifest(current))


def test_kept_generations_share_no_file(settings):
    first = Store(settings.index_dir).current()
    report = build(settings, show_progress=False)
    assert any(name.startswith("keyword/") for name in report.reused)  # taken over, as before
    for name in report.reused:
        assert not (first / name).samefile(report.generation / name), name
    damage(segment(report.generation))
    verify_checksums(first, read_manifest(first))


def test_a_take_over_that_does_not_match_its_checksum_is_built_again(settings, monkeypatch):
    """The file is checked as copied: damage between the check and the copy is not carried over."""
    import index.store.reuse

    real_copy = index.store.reuse.copy_checked

    def copy_damaged(source, target):
        if str(source).endswith(".seg"):
            damage(Path(source))
        return real_copy(source, target)

    monkeypatch.setattr(index.store.reuse, "copy_checked", copy_damaged)
    report = build(settings, show_progress=False)
    assert report.reused == []
    verify_checksums(report.generation, read_manifest(report.generation))


QUERIES = ("RING training", "trafficking", "remittances", "hotline", "\"labour migrants\"", "migra*", "7801",
           "water NOT Osh")


def test_a_segment_damaged_under_the_running_server_answers_503_with_the_reason(tmp_path):
    """The real corpus: its segment holds compressed postings, which fail to decompress when damaged."""
    settings = Settings(archive_dir=copy_of_corpus(tmp_path / "archive"), index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    archive = Archive.open(settings)
    client = create_app(archive=archive).test_client()
    damage(segment(archive.generation))
    statuses = set()
    for query in QUERIES:
        for mode in ("keyword", "hybrid"):
            for path in (f"/api/search?q={query}&mode={mode}", f"/?q={query}&mode={mode}", f"/search.csv?q={query}"):
                response = client.get(path)
                statuses.add(response.status_code)
                assert response.status_code in (200, 503), (path, response.status_code)
                if response.status_code == 503:
                    assert "damaged" in response.get_data(as_text=True), path
    # Never a 500.  Whether a 503 is seen depends on whether a search still reads the damaged file:
    # what the open index already holds in memory (most postings, since issue 13's matching) is
    # answered from memory, correctly, so a 503 is not required here (see the closing note).
    assert statuses <= {200, 503}
    archive.close()
