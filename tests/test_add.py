"""`scripts/archive add`: new newsletter issues copied into the archive and indexed, all or nothing.

Each test starts from a small archive written here, indexed into a directory of its own (the model is
loaded once per process).  The command line is run through `scripts.cli.main` with ARCHIVE_DIR and
ARCHIVE_INDEX_DIR pointing at that archive.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BEEKEEPING_ISSUE as TEXT_ISSUE
from conftest import ONE_STORY_ISSUE as OLD_ISSUE
from conftest import write_issue
from test_pdf import FOOTER, HEADER, TWO_PAGE_ISSUE, make_pdf

from index.config import Settings
from index.facade import AddRefused, Archive, add_files, build
from index.store import add as ingest
from index.store.generations import Store
from scripts.cli import main

MARKDOWN_ISSUE = """\
## YOUTH FORUM IN ASHGABAT

On 5 October 2022 IOM Turkmenistan brought 60 young people to a forum on safe migration; read
[the forum report](https://example.org/forum-report.pdf) or watch the recording [here](#).

### BORDER POST MODERNISED

IOM Kazakhstan handed new scanners to the **Nur Zholy** border post, which checks 3,500 travellers a day.
"""

@pytest.fixture()
def settings(tmp_path, monkeypatch) -> Settings:
    archive = tmp_path / "archive"
    write_issue(archive, "2021-03.txt", OLD_ISSUE)
    settings = Settings(archive_dir=archive, index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    monkeypatch.setenv("ARCHIVE_DIR", str(archive))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))
    return settings


@pytest.fixture()
def incoming(tmp_path) -> Path:
    """Where the new issues arrive from (the office's e-mail, a download folder)."""
    return tmp_path / "incoming"


def top_hit(settings: Settings, query: str, mode: str = "hybrid"):
    archive = Archive.open(settings)
    try:
        hits = archive.search(query, mode=mode, k=1).hits
        return hits[0] if hits else None
    finally:
        archive.close()


def served(settings: Settings) -> Path:
    return Store(settings.index_dir).current()


# --- adding ----------------------------------------------------------------------------------------

def test_add_a_pdf_issue_from_the_command_line(settings, incoming, capsys):
    pdf = make_pdf(incoming / "2023-03.pdf", TWO_PAGE_ISSUE, header=HEADER, footer=FOOTER)
    assert main(["add", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "2023-03.pdf" in out
    assert "number    unknown (not printed)" in out
    assert "date      2023-03 (inferred, month precision)" in out
    assert "1. SOLAR PANELS FOR MIGRANT FAMILIES" in out and "2. LEGAL AID DESK IN OSH" in out
    assert "passages  2" in out
    assert "3 passages (2 embedded, 1 from the cache)" in out  # only the new issue's passages were embedded

    assert (settings.archive_dir / "2023-03.pdf").read_bytes() == pdf.read_bytes()
    hit = top_hit(settings, "solar panels for returning migrant families")
    assert hit.issue.id == "2023-03" and hit.passage.section_title == "SOLAR PANELS FOR MIGRANT FAMILIES"


def test_add_json_reports_what_was_understood(settings, incoming, capsys):
    pdf = make_pdf(incoming / "2023-03.pdf", TWO_PAGE_ISSUE, header=HEADER, footer=FOOTER)
    assert main(["add", str(pdf), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [added] = report["files"]
    assert added["status"] == "new"
    assert added["issue"]["provenance"]["date"] == "inferred"
    assert [s["title"] for s in added["sections"]] == ["SOLAR PANELS FOR MIGRANT FAMILIES", "LEGAL AID DESK IN OSH"]
    # numbers_in per passage: 14 (the day) and 85 (houses); 1240 (migrants).  Years are not figures.
    assert list(added["figures"].values()) == [2, 1]
    assert report["build"]["embedded"] == 2 and report["build"]["issues"] == 2


def test_add_markdown_and_text_issues(settings, incoming):
    markdown = write_issue(incoming, "2022-10.md", MARKDOWN_ISSUE)
    text = write_issue(incoming, "2022-12.txt", TEXT_ISSUE)
    report = add_files([markdown, text], settings=settings)
    assert [a.status for a in report.arrivals] == ["new", "new"]
    assert report.build.issues == 3

    forum = top_hit(settings, "youth forum on safe migration")
    assert forum.issue.id == "2022-10" and forum.passage.section_title == "YOUTH FORUM IN ASHGABAT"
    assert "read the forum report or watch the recording" in forum.passage.text  # link text kept
    assert "here" not in forum.passage.text  # a stub link is dropped
    assert "example.org" not in forum.passage.text and "](" not in forum.passage.text
    scanners = top_hit(settings, "3500 travellers", mode="keyword")
    assert scanners.passage.section_title == "BORDER POST MODERNISED"
    assert "Nur Zholy border post" in scanners.passage.text and "**" not in scanners.passage.text

    honey = top_hit(settings, "beehives honey Naryn")
    assert honey.issue.id == "2022-12" and honey.issue.number == 7 and honey.issue.date.iso == "2022-12-12"


def test_catalog_corrects_an_added_issue(settings, incoming):
    (settings.archive_dir / "catalog.toml").write_text('["issues"."2023-03.pdf"]\nnumber = 3\n', encoding="utf-8")
    pdf = make_pdf(incoming / "2023-03.pdf", TWO_PAGE_ISSUE, header=HEADER, footer=FOOTER)
    [arrival] = add_files([pdf], settings=settings).arrivals
    assert arrival.parsed.issue.number == 3 and arrival.parsed.issue.provenance["number"] == "catalog"
    assert top_hit(settings, "legal aid desk in Osh").issue.number == 3


# --- nothing to do, refusals -----------------------------------------------------------------------

def test_re_adding_an_unchanged_file_does_nothing(settings, incoming, capsys):
    text = write_issue(incoming, "2022-12.txt", TEXT_ISSUE)
    add_files([text], settings=settings)
    generation = served(settings)

    assert main(["add", str(text)]) == 0
    out = capsys.readouterr().out
    assert "2022-12.txt: already in" in out and "identical" in out and "nothing to do" in out
    assert served(settings) == generation


def test_a_broken_pdf_is_rejected_and_the_index_untouched(settings, incoming, capsys):
    before_generation = served(settings)
    before_ids = [top_hit(settings, "drinking water villages").passage.id]
    good = make_pdf(incoming / "good.pdf", TWO_PAGE_ISSUE)
    broken = incoming / "broken.pdf"
    broken.write_bytes(good.read_bytes()[:700])

    assert main(["add", str(broken)]) != 0
    err = capsys.readouterr().err
    assert "broken.pdf" in err and "truncated" in err and "nothing was added" in err

    assert not (settings.archive_dir / "broken.pdf").exists()
    assert served(settings) == before_generation
    assert [top_hit(settings, "drinking water villages").passage.id] == before_ids


def test_one_unreadable_file_stops_the_whole_add(settings, incoming, capsys):
    good = write_issue(incoming, "2022-12.txt", TEXT_ISSUE)
    garbage = incoming / "scan.pdf"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    generation = served(settings)

    assert main(["add", str(good), str(garbage)]) != 0
    assert "scan.pdf: not a PDF" in capsys.readouterr().err
    assert sorted(p.name for p in settings.archive_dir.iterdir()) == ["2021-03.txt"]
    assert served(settings) == generation


def test_a_different_file_of_the_same_name_needs_force(settings, incoming, capsys):
    changed = write_issue(incoming, "2021-03.txt", OLD_ISSUE.replace("four villages", "eleven villages"))
    generation = served(settings)

    assert main(["add", str(changed)]) != 0
    err = capsys.readouterr().err
    assert "2021-03.txt" in err and "already holds a different file" in err and "--force" in err
    assert "four villages" in (settings.archive_dir / "2021-03.txt").read_text(encoding="utf-8")
    assert served(settings) == generation

    assert main(["add", str(changed), "--force"]) == 0
    assert "replaced" in capsys.readouterr().out
    assert "eleven villages" in top_hit(settings, "drinking water villages").passage.text


def test_a_file_with_the_issue_id_of_another_is_refused(settings, incoming):
    pdf = make_pdf(incoming / "2021-03.pdf", TWO_PAGE_ISSUE)
    with pytest.raises(AddRefused) as caught:
        add_files([pdf], settings=settings)
    assert "2021-03.pdf" in str(caught.value) and "2021-03.txt" in str(caught.value)
    assert not (settings.archive_dir / "2021-03.pdf").exists()


def test_a_failed_build_puts_the_archive_back(settings, incoming, monkeypatch):
    text = write_issue(incoming, "2022-12.txt", TEXT_ISSUE)
    generation = served(settings)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "build_index", interrupted)
    with pytest.raises(KeyboardInterrupt):
        add_files([text], settings=settings)
    assert sorted(p.name for p in settings.archive_dir.iterdir()) == ["2021-03.txt"]
    assert served(settings) == generation
