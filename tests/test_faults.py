"""Faults on disk: bad files in archive/ and a damaged index.

- An empty, blank, binary, non-UTF-8, wordless, truncated or enormous (100 MB) file in archive/ is
  skipped with a warning naming it and why; the rest is indexed.  The enormous one is refused
  before it is read into memory.
- A damaged index generation (truncated or missing vectors, a corrupt, missing or foreign manifest,
  a Whoosh segment or table of contents removed, truncated or overwritten, damaged documents, a
  CURRENT pointer that is garbage or points out of the index) is refused with a message naming the
  problem: a running server (LiveArchive) keeps serving the last good generation, with the same
  results as before; with no good generation, Archive.open raises IndexUnavailable and
  scripts/serve.py exits with the message instead of serving.

Small archives are written and indexed here (the model is loaded once per process).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TWO_STORY_ISSUE as GOOD_ISSUE
from conftest import built_archive
from fpdf import FPDF

from index.config import Settings
from index.errors import IndexUnavailable
from index.facade import Archive, LiveArchive, build
from index.ingest.reader import MAX_FILE_BYTES, UnreadableFile, decode, read_document
from webapp import create_app

pytestmark = pytest.mark.slow  # servers, subprocesses or many builds: run by CI, skipped by -m 'not slow'

SECOND_ISSUE = """\
## SEASONAL WORKERS IN ALMATY

On 3 June 2021 IOM Kazakhstan met 35 seasonal workers on farms near Almaty to explain their rights,
their contracts and where to turn for help when wages are not paid.

## АЛМАТИНСКИЙ ПРОЦЕСС

Встреча Алматинского процесса прошла в Ташкенте: миграция и защита беженцев в Центральной Азии.
"""

HUGE_BYTES = 100 * 2**20


def pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


# --- bad files in archive/ ---------------------------------------------------------------------------


def write_bad_files(archive_dir: Path) -> dict[str, str]:
    """Every kind of unreadable file, each with a word its skip reason must hold."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    (archive_dir / "empty.txt").write_bytes(b"")
    (archive_dir / "blank.md").write_bytes(b" \n\t\r\n  \n")
    (archive_dir / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (archive_dir / "latin1.txt").write_bytes("CAFÉ À GENÈVE\n\nLes migrants ont reçu de l'aide.\n".encode("latin-1"))
    cyrillic = SECOND_ISSUE.encode("utf-8")
    cut = cyrillic.index("АЛМАТИНСКИЙ".encode()) + 1  # in the middle of a two-byte character
    (archive_dir / "cut_utf8.txt").write_bytes(cyrillic[:cut])
    whole_pdf = pdf_bytes("WATER FOR SCHOOLS\n\nIOM brought water to 12 schools in Khatlon for 3,120 pupils.")
    (archive_dir / "cut.pdf").write_bytes(whole_pdf[: len(whole_pdf) // 2])
    (archive_dir / "numbers.txt").write_text("1234 5678\n\n---- 2020 ----\n", encoding="utf-8")
    # 100 MB: real text at the start, the rest a sparse hole, so it costs no time and no disk.
    with (archive_dir / "huge.txt").open("wb") as handle:
        handle.write(GOOD_ISSUE.encode() * 10)
        handle.truncate(HUGE_BYTES)
    (archive_dir / "notes.docx").write_bytes(b"PK\x03\x04 not an issue")
    return {"empty.txt": "empty", "blank.md": "empty", "binary.txt": "binary", "latin1.txt": "UTF-8",
            "cut_utf8.txt": "UTF-8", "cut.pdf": "PDF", "numbers.txt": "no words", "huge.txt": "too large",
            "notes.docx": "not a readable Word document"}


def test_bad_files_are_skipped_with_a_warning_naming_them_and_the_rest_is_indexed(tmp_path, capsys):
    archive_dir = tmp_path / "archive"
    expected = write_bad_files(archive_dir)
    (archive_dir / "good.txt").write_text(GOOD_ISSUE, encoding="utf-8")
    (archive_dir / "second.md").write_text(SECOND_ISSUE, encoding="utf-8")
    settings = Settings(archive_dir=archive_dir, index_dir=tmp_path / "index", model=None)

    report = build(settings, show_progress=False)

    skipped = dict(report.skipped)
    assert set(skipped) == set(expected), skipped
    for name, word in expected.items():
        assert word.lower() in skipped[name].lower(), (name, skipped[name])
    warnings = capsys.readouterr().err
    for name in expected:
        assert f"warning: skipped {name}: " in warnings, (name, warnings)
    assert report.issues == 2
    archive = Archive.open(settings)
    try:
        assert {issue.id for issue in (view.issue for view in archive.issues())} == {"good", "second"}
        hits = archive.search("school books Osh", mode="keyword").hits
        assert hits and hits[0].passage.issue_id == "good"
        assert archive.search("АЛМАТИНСКИЙ", mode="keyword").hits[0].passage.issue_id == "second"
        assert archive.manifest["skipped"] and {s["file"] for s in archive.manifest["skipped"]} == set(expected)
    finally:
        archive.close()


def test_an_enormous_file_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.write(b"WATER FOR BORDER VILLAGES\n\n" * 1000)
        handle.truncate(HUGE_BYTES)
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile, match=r"huge\.txt: too large"):
            read_document(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 * 2**20, f"{peak} bytes allocated to refuse a {HUGE_BYTES}-byte file"
    # A file just at the limit is still read (a big issue is not refused for being big).
    at_limit = tmp_path / "at_limit.txt"
    with at_limit.open("wb") as handle:
        handle.write(GOOD_ISSUE.encode())
        handle.write(b" " * (MAX_FILE_BYTES - len(GOOD_ISSUE.encode())))
    assert decode(at_limit).startswith("IOM CENTRAL ASIA")


@pytest.mark.parametrize("suffix, data", [
    (".txt", b""), (".md", b"\x00" * 10), (".txt", b"\xff\xfe\xfd"), (".txt", "é".encode()[:1] + b" text"),
    (".pdf", b""), (".pdf", b"not a pdf at all"), (".pdf", b"%PDF-1.7\n"), (".pdf", b"%PDF-1.4\n" + b"\x00" * 100 + b"%%EOF"),
])
def test_each_unreadable_shape_raises_unreadable_file(tmp_path, suffix, data):
    path = tmp_path / f"issue{suffix}"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match=f"issue{suffix}: "):
        read_document(path)


# --- a damaged index ---------------------------------------------------------------------------------


def current(index_dir: Path) -> Path:
    return index_dir / "generations" / (index_dir / "CURRENT").read_text().strip()


def keyword_file(generation: Path, suffix: str) -> Path:
    return next((generation / "keyword").glob(f"*{suffix}"))


def truncate(path: Path, keep: float = 0.5) -> None:
    os.truncate(path, int(path.stat().st_size * keep))


def overwrite_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\x00" * 64
    path.write_bytes(bytes(data))


def set_manifest(generation: Path, change: Callable[[dict], object]) -> None:
    manifest = json.loads((generation / "manifest.json").read_text())
    change(manifest)
    (generation / "manifest.json").write_text(json.dumps(manifest))


# Each fault: what it does to a generation, and a word the refusal must hold.
FAULTS: dict[str, tuple[Callable[[Path], object], str]] = {
    "vectors truncated": (lambda g: truncate(g / "vectors.npy"), "vectors.npy"),
    "vectors removed": (lambda g: (g / "vectors.npy").unlink(), "vectors.npy is missing"),
    "vectors overwritten": (lambda g: overwrite_middle(g / "vectors.npy"), "vectors.npy"),
    "manifest removed": (lambda g: (g / "manifest.json").unlink(), "manifest.json is missing"),
    "manifest corrupt": (lambda g: truncate(g / "manifest.json", 0.6), "manifest.json is corrupt"),
    "manifest binary": (lambda g: (g / "manifest.json").write_bytes(b"\xff\xfe\x00\x01"), "manifest.json is corrupt"),
    "manifest not an object": (lambda g: (g / "manifest.json").write_text("[1, 2, 3]"), "schema"),
    "manifest of another schema": (lambda g: set_manifest(g, lambda m: m.update(schema_version=999)), "schema 999"),
    "manifest without checksums": (lambda g: set_manifest(g, lambda m: m.pop("checksums")), "checksums"),
    "manifest checksums not a map": (lambda g: set_manifest(g, lambda m: m.update(checksums=["x"])), "checksums"),
    "manifest names a file outside": (lambda g: set_manifest(g, lambda m: m["checksums"].update(
        {"../../../../etc/passwd": "0"})), "outside"),
    "manifest without passages count": (lambda g: set_manifest(g, lambda m: m.pop("passages")), "cannot be read"),
    "whoosh segment removed": (lambda g: keyword_file(g, ".seg").unlink(), ".seg is missing"),
    "whoosh segment truncated": (lambda g: truncate(keyword_file(g, ".seg")), ".seg does not match"),
    "whoosh segment overwritten": (lambda g: overwrite_middle(keyword_file(g, ".seg")), ".seg does not match"),
    "whoosh table of contents removed": (lambda g: keyword_file(g, ".toc").unlink(), ".toc is missing"),
    "whoosh table of contents truncated": (lambda g: truncate(keyword_file(g, ".toc")), ".toc does not match"),
    "keyword directory removed": (lambda g: shutil.rmtree(g / "keyword"), "missing"),
    "documents truncated": (lambda g: truncate(g / "documents.json"), "documents.json"),
    "documents removed": (lambda g: (g / "documents.json").unlink(), "documents.json is missing"),
    "CURRENT is garbage": (lambda g: (g.parent.parent / "CURRENT").write_bytes(b"\xff\xfe\x00garbage"), "CURRENT"),
    "CURRENT points out of the index": (lambda g: (g.parent.parent / "CURRENT").write_text("../.."), "CURRENT"),
    "CURRENT names no generation": (lambda g: (g.parent.parent / "CURRENT").write_text("gen-gone"), "gen-gone"),
}


@pytest.fixture(scope="module")
def good_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return built_archive(tmp_path_factory, "faults", {"good.txt": GOOD_ISSUE, "second.md": SECOND_ISSUE})


def copy_index(settings: Settings, target: Path) -> Settings:
    shutil.copytree(settings.index_dir, target)
    return Settings(archive_dir=settings.archive_dir, index_dir=target, model=None)


def damaged_new_generation(settings: Settings, fault: Callable[[Path], object]) -> Path:
    """A copy of the current generation under a newer name, damaged, and made CURRENT (as a build
    switching to a generation that was damaged on disk would leave it)."""
    good = current(settings.index_dir)
    newer = good.parent / "gen-99991231-235959-000000000"
    shutil.copytree(good, newer)
    (settings.index_dir / "CURRENT").write_text(newer.name + "\n")
    fault(newer)
    return newer


def results(archive: Archive) -> list:
    return [[(h.passage.id, round(h.score, 6)) for h in archive.search(q, mode=mode, k=20).hits]
            for q in ("water villages", "school books", "migrants") for mode in ("keyword", "hybrid")]


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_a_damaged_generation_is_refused_and_the_last_good_one_keeps_serving(good_index, tmp_path, fault, caplog):
    damage, reason = FAULTS[fault]
    settings = copy_index(good_index, tmp_path / "index")
    live = LiveArchive(settings, check_every_s=0)
    served = live.current()
    before = results(served)
    client = create_app(archive=live).test_client()
    page_before = client.get("/api/search?q=school+books&mode=keyword").get_json()

    with caplog.at_level(logging.WARNING, logger="index.facade"):
        damaged_new_generation(settings, damage)
        assert live.current() is served  # refused: still the good generation
        assert live.current() is served  # and refused once, not retried on every request
    refusals = [r.getMessage() for r in caplog.records if "not switching" in r.getMessage()]
    assert len(refusals) == 1 and reason in refusals[0], refusals
    assert results(live.current()) == before  # never wrong results
    response = client.get("/api/search?q=school+books&mode=keyword")
    assert response.status_code == 200 and response.get_json() == page_before
    for path in ("/", "/?q=water", "/issues", "/api/issues", f"/passages/{before[0][0][0]}"):
        assert client.get(path).status_code == 200, path

    # With no good generation to fall back on, the index is refused at start, with the message.
    with pytest.raises(IndexUnavailable, match=reason.replace(".", r"\.")):
        Archive.open(settings)


def test_with_no_good_generation_the_server_does_not_start(good_index, tmp_path, monkeypatch, capfd):
    """With no good generation to serve, scripts/run builds one first; when it cannot (here the
    archive holds nothing readable), it exits with both reasons instead of serving."""
    from scripts import serve

    settings = copy_index(good_index, tmp_path / "index")
    keyword_file(current(settings.index_dir), ".seg").unlink()
    (tmp_path / "empty-archive").mkdir()
    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "empty-archive"))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))
    monkeypatch.delenv("ARCHIVE_MODEL", raising=False)
    monkeypatch.setattr(serve, "create_server", lambda *a, **k: pytest.fail("served a damaged index"))
    assert serve.main(["--port", "0"]) == 2
    error = capfd.readouterr().err  # the build runs in a process of its own
    assert ".seg is missing" in error and "error: no readable newsletter issue" in error, error
    with pytest.raises(IndexUnavailable):
        create_app(settings=settings)


def test_a_good_generation_after_a_damaged_one_is_served(good_index, tmp_path):
    """Refusing a generation is not for ever: the next good build is switched to."""
    settings = copy_index(good_index, tmp_path / "index")
    live = LiveArchive(settings, check_every_s=0)
    first = live.current()
    damaged_new_generation(settings, lambda g: keyword_file(g, ".seg").unlink())
    assert live.current() is first
    build(settings, show_progress=False)
    assert live.current() is not first
    assert live.current().generation == current(settings.index_dir)
    assert results(live.current()) == results(first)
