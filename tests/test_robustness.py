"""Smaller ways things went wrong, each with its own test:

- a link given to `add` that leads outside its folder (to /etc/passwd) is refused, and a link in
  archive/ to a file outside it is skipped by builds;
- issue text holding terminal escape sequences is printed without them (and JSON escapes them);
- what killed builds leave (`.building-*` folders, `.CURRENT-*` files) is removed by the next build,
  and a folder a running build still holds is not;
- the parse cache is JSON checked by its sha256: a pickle planted there is never loaded, a changed
  entry is parsed again;
- an odd CURRENT (a name too long for the file system, a directory) is a message saying what to do,
  not a traceback.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import time
from pathlib import Path

import pytest
from conftest import write_issue

from index.config import Settings
from index.facade import AddRefused, Archive, add_files, build
from index.store.generations import Store
from index.store.reuse import ParseCache
from scripts.cli import main

ISSUE = """\
IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 4, 15/03/2021

WATER FOR BORDER VILLAGES

IOM Tajikistan delivered clean drinking water to four villages near the border, where 300 returning
migrants and their families had waited for months for a working well.
"""

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m\u202e\x9b1m\x08"
ESCAPE_ISSUE = f"""\
## WATER{ESCAPES} FOR BORDER VILLAGES

IOM Tajikistan{ESCAPES} delivered clean drinking water to 12 villages{ESCAPES} near the border.
"""


@pytest.fixture()
def settings(tmp_path, monkeypatch) -> Settings:
    write_issue(tmp_path / "archive", "2021-03.txt", ISSUE)
    settings = Settings(archive_dir=tmp_path / "archive", index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    monkeypatch.setenv("ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))
    return settings


# --- links --------------------------------------------------------------------------------------------


def test_add_refuses_a_link_that_leads_outside_its_folder(settings, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "passwd.txt").symlink_to("/etc/passwd")
    secret = tmp_path / "elsewhere" / "notes.txt"
    write_issue(secret.parent, secret.name, ISSUE.replace("four", "seven"))
    (incoming / "2022-01.txt").symlink_to(secret)
    generation = Store(settings.index_dir).current()
    for name in ("passwd.txt", "2022-01.txt"):
        with pytest.raises(AddRefused, match="outside the folder"):
            add_files([incoming / name], settings=settings)
    assert sorted(p.name for p in settings.archive_dir.iterdir()) == ["2021-03.txt"]
    assert Store(settings.index_dir).current() == generation


def test_add_follows_a_link_within_its_folder(settings, tmp_path):
    incoming = tmp_path / "incoming"
    real = write_issue(incoming / "received", "scan-7.txt", ISSUE.replace("four", "seven").replace("ISSUE 4", "ISSUE 5"))
    (incoming / "2022-01.txt").symlink_to(Path("received") / real.name)
    report = add_files([incoming / "2022-01.txt"], settings=settings)
    assert [a.status for a in report.arrivals] == ["new"]
    assert not (settings.archive_dir / "2022-01.txt").is_symlink()  # the file's bytes are copied
    assert (settings.archive_dir / "2022-01.txt").read_text(encoding="utf-8") == real.read_text(encoding="utf-8")


def test_a_build_skips_a_link_in_the_archive_to_a_file_outside_it(settings):
    (settings.archive_dir / "passwd.txt").symlink_to("/etc/passwd")
    report = build(settings, show_progress=False)
    assert ("passwd.txt", "a link to a file outside the archive; put the file itself there") in report.skipped
    archive = Archive.open(settings)
    try:
        assert {view.issue.id for view in archive.issues()} == {"2021-03"}
        assert not archive.search("root", mode="keyword").hits
    finally:
        archive.close()


# --- terminal escapes ---------------------------------------------------------------------------------


@pytest.fixture()
def escape_settings(tmp_path, monkeypatch) -> Settings:
    write_issue(tmp_path / "archive", "escapes.md", ESCAPE_ISSUE)
    (tmp_path / "archive" / "notes\x1b[2J\x1b]0;owned\x07.docx").write_bytes(b"not an issue")  # skipped, by name
    settings = Settings(archive_dir=tmp_path / "archive", index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    monkeypatch.setenv("ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))
    return settings


CONTROLS = {"\x1b", "\x07", "\x08", "\x9b", "\u202e"}


@pytest.mark.parametrize("command", [["search", "water villages"], ["issues"], ["figures", "villages"],
                                     ["build"]])
def test_the_command_line_prints_no_control_characters(escape_settings, capsys, command):
    assert "\x1b" in Archive.open(escape_settings).passages[0].text  # the data does hold them
    assert main(command) == 0
    out, err = capsys.readouterr()
    assert out.strip()
    assert not CONTROLS & set(out + err), [c for c in out + err if c in CONTROLS]


def test_json_output_escapes_control_characters_and_keeps_the_data(escape_settings, capsys):
    assert main(["search", "water villages", "--json"]) == 0
    out = capsys.readouterr().out
    assert not CONTROLS & set(out)
    assert ESCAPES in json.loads(out)["hits"][0]["text"]


# --- what killed builds leave -------------------------------------------------------------------------


def test_the_next_build_removes_what_killed_builds_left_and_keeps_a_running_one(settings):
    store = Store(settings.index_dir)
    abandoned = store.generations / ".building-deadbeef"
    (abandoned / "keyword").mkdir(parents=True)
    (abandoned / ".lock").touch()  # its build is gone: nobody holds the lock
    unlocked = store.generations / ".building-0badf00d"  # killed before it could lock
    unlocked.mkdir()
    stale_switch = settings.index_dir / ".CURRENT-12345678"
    stale_switch.write_text("gen-x\n", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    for path in (unlocked, stale_switch):
        os.utime(path, (an_hour_ago, an_hour_ago))
    running = store.generations / ".building-cafebabe"
    running.mkdir()
    lock = os.open(running / ".lock", os.O_CREAT | os.O_WRONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a build that is still running holds it
    try:
        build(settings, show_progress=False)
        assert not abandoned.exists() and not unlocked.exists() and not stale_switch.exists()
        assert running.exists()
    finally:
        os.close(lock)
    build(settings, show_progress=False)
    assert not running.exists()
    assert not list(settings.index_dir.glob(".CURRENT-*"))


# --- the parse cache ----------------------------------------------------------------------------------


class _Planted:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_a_pickle_planted_in_the_parse_cache_never_runs(settings, tmp_path):
    store = Store(settings.index_dir)
    marker = tmp_path / "the-pickle-ran"
    for key in [p.stem for p in store.parse_cache_dir.iterdir()]:
        for suffix in (".pickle", ".json"):
            (store.parse_cache_dir / f"{key}{suffix}").write_bytes(pickle.dumps(_Planted(str(marker))))
    report = build(settings, show_progress=False)
    assert report.issues == 1
    assert not marker.exists()
    assert not list(store.parse_cache_dir.glob("*.pickle"))


def test_a_changed_parse_cache_entry_is_parsed_again(settings):
    store = Store(settings.index_dir)
    [entry] = store.parse_cache_dir.glob("*.json")
    checksum, _, payload = entry.read_bytes().partition(b"\n")
    entry.write_bytes(checksum + b"\n" + payload.replace(b"four villages", b"forty villages"))
    cache = ParseCache(store.parse_cache_dir, "any model: a read does not key")
    assert cache.get(entry.stem) is None  # its checksum no longer matches
    build(settings, show_progress=False)
    archive = Archive.open(settings)
    try:
        assert "four villages" in archive.passages[0].text
    finally:
        archive.close()


# --- an odd CURRENT -----------------------------------------------------------------------------------


def test_a_current_naming_a_generation_too_long_for_the_file_system_is_a_message(settings, capsys):
    (settings.index_dir / "CURRENT").write_text("gen-" + "a" * 300 + "\n", encoding="utf-8")
    assert main(["search", "water"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "CURRENT names generation" in err and "Traceback" not in err


def test_a_directory_in_place_of_current_is_a_message_saying_what_to_do(settings, capsys):
    (settings.index_dir / "CURRENT").unlink()
    (settings.index_dir / "CURRENT").mkdir()
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert "a directory stands where a file belongs" in err and "CURRENT" in err and "Traceback" not in err, err
    assert not list(settings.index_dir.glob(".CURRENT-*"))
