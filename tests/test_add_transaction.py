"""`add` is all or nothing, even when it is killed or the disk fills up.

A file of the archive is replaced (`add --force`) by a process that is stopped at one moment of the
add: once the old file is kept, once the new one is written, during the build, once the new
generation is served.  Killed outright (SIGKILL), it leaves the archive half changed; the next run
(`scripts/archive build --if-stale`, what scripts/run does first) must finish the add or undo it,
never index a half state and never lose the old file.  Stopped politely (SIGTERM, SIGHUP), it must
put things back itself before it ends.  On a small tmpfs filled to the brim the add fails with a
clear message and the old file is still there.

Each add runs in a child process (`python -c`), which stops itself at the chosen moment by patching
the step that follows it.  The model is loaded by each child that builds.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ONE_STORY_ISSUE as OLD_ISSUE
from conftest import write_issue

from index.config import ROOT, Settings
from index.facade import Archive, add_files, build
from index.store.generations import Store
from scripts.cli import main

NEW_ISSUE = OLD_ISSUE.replace("four villages", "eleven villages").replace("a working well", "a solar pump")
SECOND_ISSUE = """\
Issue №7, 12 December 2022

BEEKEEPING FOR RETURNEES

IOM Kyrgyzstan gave beehives and training to 25 returning migrants in Naryn, so that they can earn a
living from honey at home instead of leaving again for seasonal work abroad.
"""

# The child: add --force the changed issue (and a new one), stopping itself with `signal` at `moment`.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from index.store import add as ingest
    from index.store import generations as store
    from scripts.cli import main

    moment, signum, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

    def stop():
        os.kill(os.getpid(), signum)

    def before(owner, name):
        real = getattr(owner, name)
        def patched(*args, **kwargs):
            stop()
            return real(*args, **kwargs)
        setattr(owner, name, patched)

    def after(owner, name):
        real = getattr(owner, name)
        def patched(*args, **kwargs):
            result = real(*args, **kwargs)
            stop()
            return result
        setattr(owner, name, patched)

    if moment == "old file kept":
        before(ingest, "_write_atomically")
    elif moment == "new file written":
        before(ingest, "build_index")
    elif moment == "during the build":
        before(store.Store, "commit")
    elif moment == "new generation served":
        after(store.Store, "commit")
    sys.exit(main(["add", "--force", *files]))
""")

UNDONE_MOMENTS = ("old file kept", "new file written", "during the build")


@pytest.fixture()
def settings(tmp_path) -> Settings:
    archive = tmp_path / "archive"
    write_issue(archive, "2021-03.txt", OLD_ISSUE)
    settings = Settings(archive_dir=archive, index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    return settings


@pytest.fixture()
def incoming(tmp_path) -> list[Path]:
    return [write_issue(tmp_path / "incoming", "2021-03.txt", NEW_ISSUE),
            write_issue(tmp_path / "incoming", "2022-12.txt", SECOND_ISSUE)]


def env_for(settings: Settings) -> dict[str, str]:
    return {**os.environ, "ARCHIVE_DIR": str(settings.archive_dir), "ARCHIVE_INDEX_DIR": str(settings.index_dir),
            "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def add_stopped_at(settings: Settings, moment: str, signum: int, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, moment, str(signum), *map(str, files)], env=env_for(settings),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def state(settings: Settings) -> tuple[str, str, str | None]:
    """What the archive holds for the replaced issue, what the served index finds for it, and the new
    issue's passage if the index has it."""
    archive = Archive.open(settings)
    try:
        water = archive.search("drinking water border villages", mode="keyword", k=1).hits[0].passage.text
        bees = [hit.passage.issue_id for hit in archive.search("beehives OR Naryn", mode="keyword", k=1).hits]
    finally:
        archive.close()
    return (settings.archive_dir / "2021-03.txt").read_text(encoding="utf-8"), water, bees[0] if bees else None


def as_it_was(settings: Settings) -> None:
    archive_text, indexed, new_issue = state(settings)
    assert archive_text == OLD_ISSUE
    assert "four villages" in indexed and new_issue is None
    assert not (settings.archive_dir / "2022-12.txt").exists()


def added(settings: Settings) -> None:
    archive_text, indexed, new_issue = state(settings)
    assert archive_text == NEW_ISSUE
    assert "eleven villages" in indexed and new_issue == "2022-12"


def assert_nothing_left_over(settings: Settings) -> None:
    """No journal, no kept old file, no half-written file: only the issues."""
    assert sorted(p.name for p in settings.archive_dir.iterdir()) in (["2021-03.txt"], ["2021-03.txt", "2022-12.txt"])


def next_run(settings: Settings, monkeypatch, capsys) -> str:
    """What scripts/run does first: build the index if it is stale.  Its standard error."""
    monkeypatch.setenv("ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))
    assert main(["build", "--if-stale"]) == 0
    return capsys.readouterr().err


# --- killed outright: the next run settles it ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("moment", UNDONE_MOMENTS)
def test_an_add_killed_before_its_generation_is_served_is_undone_by_the_next_run(settings, incoming, moment,
                                                                               monkeypatch, capsys):
    generation = Store(settings.index_dir).current()
    child = add_stopped_at(settings, moment, signal.SIGKILL, incoming)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert (settings.archive_dir / ".add-journal.json").exists()  # the kill left it half done

    err = next_run(settings, monkeypatch, capsys)
    assert "an earlier add was interrupted; it has been undone" in err
    as_it_was(settings)
    assert_nothing_left_over(settings)
    assert Store(settings.index_dir).current() == generation


@pytest.mark.slow
def test_an_add_killed_once_its_generation_is_served_is_finished_by_the_next_run(settings, incoming, monkeypatch,
                                                                                capsys):
    child = add_stopped_at(settings, "new generation served", signal.SIGKILL, incoming)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert list(settings.archive_dir.glob(".add-old-*"))  # the old file is still kept

    err = next_run(settings, monkeypatch, capsys)
    assert "an earlier add was interrupted; it has been finished" in err
    added(settings)
    assert_nothing_left_over(settings)


@pytest.mark.slow
def test_an_add_killed_while_it_embeds_is_undone_by_the_next_add(settings, incoming, tmp_path):
    """No patching: the real add, killed when its build has started (its model is loading or embedding)."""
    generation = Store(settings.index_dir).current()
    child = subprocess.Popen([str(ROOT / "scripts" / "archive"), "add", "--force", *map(str, incoming)],
                             env=env_for(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    generations = settings.index_dir / "generations"
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".building-") for p in generations.iterdir()):
        assert child.poll() is None and time.monotonic() < deadline, "the add ended before it could be killed"
        time.sleep(0.005)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    assert (settings.archive_dir / "2022-12.txt").exists()  # the half state a killed add left before

    third = write_issue(tmp_path / "later", "2023-01.txt", SECOND_ISSUE.replace("Naryn", "Talas"))
    add_files([third], settings=settings)  # the next add settles the killed one first, then adds its own
    archive_text, indexed, new_issue = state(settings)
    assert archive_text == OLD_ISSUE and "four villages" in indexed and new_issue == "2023-01"  # not 2022-12
    assert sorted(p.name for p in settings.archive_dir.iterdir()) == ["2021-03.txt", "2023-01.txt"]
    assert Store(settings.index_dir).current() != generation


# --- stopped politely: it settles itself ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("moment", ["new file written", "during the build"])
def test_an_add_sent_sigterm_or_sighup_puts_everything_back_before_it_ends(settings, incoming, moment, signum):
    generation = Store(settings.index_dir).current()
    child = add_stopped_at(settings, moment, signum, incoming)
    assert child.returncode == -signum, child.stderr[-2000:]  # it still ends as the signal asks
    assert "nothing was added; the archive and the index are as they were" in child.stderr
    assert "Traceback" not in child.stderr
    as_it_was(settings)
    assert_nothing_left_over(settings)
    assert Store(settings.index_dir).current() == generation


# --- a full disk ---------------------------------------------------------------------------------------


@pytest.fixture()
def small_disk(tmp_path):
    """A 48 MB tmpfs (CI runs as root and may mount one); skipped with the reason where it may not."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); CI, as root, can")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill `disk` until only about `leave` bytes are free."""
    usage = shutil.disk_usage(disk)
    with (disk / "filler").open("wb") as handle:
        remaining = usage.free - leave
        while remaining > 0:
            chunk = min(remaining, 1 << 20)
            handle.write(b"\0" * chunk)
            remaining -= chunk


@pytest.mark.parametrize("kb_left", [0, 16, 32, 56])
def test_add_on_a_full_disk_fails_with_a_clear_message_and_keeps_the_old_file(small_disk, incoming, monkeypatch,
                                                                                capsys, kb_left):
    """The disk fills at a different step for each amount left (on this archive): copying the new
    files (0 KB), the build's first files (16), the vector cache, SQLite (32), the generation (56)."""
    settings = Settings(archive_dir=small_disk / "archive", index_dir=small_disk / "index", model=None)
    write_issue(settings.archive_dir, "2021-03.txt", OLD_ISSUE)
    build(settings, show_progress=False)
    generation = Store(settings.index_dir).current()
    fill(small_disk, leave=kb_left * 1024)  # not room for a new generation
    monkeypatch.setenv("ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))

    assert main(["add", "--force", *map(str, incoming)]) == 2
    err = capsys.readouterr().err
    assert "disk is full" in err and "Nothing was added" in err and "Traceback" not in err, err
    (small_disk / "filler").unlink()
    as_it_was(settings)
    assert_nothing_left_over(settings)
    assert Store(settings.index_dir).current() == generation


def test_build_on_a_read_only_disk_fails_with_a_clear_message(small_disk, monkeypatch, capsys):
    settings = Settings(archive_dir=small_disk / "archive", index_dir=small_disk / "index", model=None)
    write_issue(settings.archive_dir, "2021-03.txt", OLD_ISSUE)
    build(settings, show_progress=False)
    write_issue(settings.archive_dir, "2022-12.txt", SECOND_ISSUE)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    monkeypatch.setenv("ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))

    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "The index being served is as it was" in err and "Traceback" not in err, err
