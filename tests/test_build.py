"""Building the index: unreadable files skipped, failed builds that keep the old index serving,
staleness, the manifest, and rebuilds that reuse cached vectors and keep passage ids.

Each test builds a small archive written here for the purpose (the model is loaded once per process).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import copy_of_corpus, write_issue

from index.config import Settings
from index.errors import ArchiveError, IndexUnavailable
from index.facade import Archive, FigureQuery, build, index_staleness
from index.ingest.catalog import CatalogError
from index.search.keyword import segment_health
from index.store import generations
from index.store.generations import SCHEMA_VERSION, Store, generation_name

ISSUE_A = """\
IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 4, 15/03/2021

WATER FOR BORDER VILLAGES

IOM Tajikistan delivered clean drinking water to four villages near the border, where returning
migrants and their families had waited for months for a working well.

Photo by IOM Tajikistan.

The wells were dug with the help of 120 volunteers from Khatlon.

SCHOOL BOOKS IN OSH

IOM Kyrgyzstan gave 2,450 school books to the children of labour migrants in Osh, so that they can
keep up with their classes while their parents work abroad.
"""

ISSUE_B = """\
## SEASONAL WORKERS IN ALMATY

On 3 June 2021 IOM Kazakhstan met 35 seasonal workers on farms near Almaty to explain their rights,
their contracts and where to turn for help when wages are not paid.

TRAINING FOR JUDGES

July 9, 2021, Uzbekistan, Tashkent

Judges from Tashkent and Samarkand learned how to recognise victims of trafficking in court cases and
how to refer them to shelters for protection.
"""


def make_archive(directory: Path, **issues: str) -> Path:
    for name, text in issues.items():
        write_issue(directory, name.replace("__", "."), text)
    return directory


@pytest.fixture()
def settings(tmp_path) -> Settings:
    archive = make_archive(tmp_path / "archive", a__txt=ISSUE_A, b__md=ISSUE_B)
    return Settings(archive_dir=archive, index_dir=tmp_path / "index", model=None)


def served_generation(settings: Settings) -> Path:
    return Store(settings.index_dir).current()


# --- unreadable files ----------------------------------------------------------------------------

def test_build_skips_unreadable_files_and_indexes_the_rest(settings, capsys):
    archive = settings.archive_dir
    (archive / "empty.txt").write_bytes(b"")
    (archive / "binary.txt").write_bytes(b"WATER FOR BORDER VILLAGES\n\nclean water\x00\x00\x01 for villages")
    (archive / "latin1.txt").write_bytes("NOUVELLES\n\nL'OIM a livr\u00e9 de l'eau potable aux villages.".encode("latin-1"))
    (archive / "report.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (archive / "notes.odt").write_bytes(b"PK\x03\x04\x14\x00\x06\x00")

    report = build(settings, show_progress=False)

    skipped = dict(report.skipped)
    assert set(skipped) == {"empty.txt", "binary.txt", "latin1.txt", "report.pdf", "notes.odt"}
    assert "empty" in skipped["empty.txt"]
    assert "binary" in skipped["binary.txt"]
    assert "UTF-8" in skipped["latin1.txt"]
    assert "PDF" in skipped["report.pdf"]
    assert "not a newsletter issue" in skipped["notes.odt"]
    warnings = capsys.readouterr().err
    for name in skipped:
        assert name in warnings

    assert report.issues == 2
    archive_view = Archive.open(settings)
    try:
        assert sorted(view.issue.id for view in archive_view.issues()) == ["a", "b"]
        hits = archive_view.search("school books", mode="keyword", k=5).hits
        assert hits and hits[0].passage.section_title == "SCHOOL BOOKS IN OSH"
        assert "2,450 school books" in hits[0].passage.text
        # the caption is not indexed
        assert archive_view.search("Photo", mode="keyword", k=5).hits == ()
    finally:
        archive_view.close()
    manifest = json.loads((report.generation / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == ["a.txt", "b.md"]
    assert {entry["file"] for entry in manifest["skipped"]} == set(skipped)


def test_small_archive_metadata_and_sections(settings):
    build(settings, show_progress=False)
    archive = Archive.open(settings)
    try:
        a = archive.issue("a")
        assert a.issue.number == 4 and a.issue.date.iso == "2021-03-15" and not a.issue.date_inferred
        assert [s.title for s in a.sections] == ["WATER FOR BORDER VILLAGES", "SCHOOL BOOKS IN OSH"]
        assert a.sections[0].countries == ("Tajikistan",)
        assert a.sections[1].countries == ("Kyrgyzstan",)
        b = archive.issue("b")
        assert b.issue.number is None
        assert (b.issue.date.iso, b.issue.date.precision, b.issue.date_inferred) == ("2021-07", "month", True)
        assert [s.title for s in b.sections] == ["SEASONAL WORKERS IN ALMATY", "TRAINING FOR JUDGES"]
        assert b.sections[1].dateline == "July 9, 2021, Uzbekistan, Tashkent"
        assert b.sections[1].countries == ("Uzbekistan",)
        # filters work on the small archive too
        hits = archive.search("migrants", mode="keyword", k=10,
                              filters=archive_filters(countries=("Kyrgyzstan",))).hits
        assert hits and all(h.passage.section_title == "SCHOOL BOOKS IN OSH" for h in hits)
    finally:
        archive.close()


def archive_filters(**kwargs):
    from index.facade import Filters

    return Filters(**kwargs)


def test_build_with_nothing_readable_fails_and_keeps_the_old_index(settings, tmp_path):
    build(settings, show_progress=False)
    before = served_generation(settings)
    opened = Archive.open(settings)
    old_ids = [h.passage.id for h in opened.search("water villages", mode="hybrid", k=5).hits]
    assert old_ids

    bad = tmp_path / "bad_archive"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    (bad / "scan.pdf").write_bytes(b"%PDF-1.4")
    broken = Settings(archive_dir=bad, index_dir=settings.index_dir, model=None)
    with pytest.raises(ArchiveError) as caught:
        build(broken, show_progress=False)
    assert str(bad) in str(caught.value)

    assert served_generation(settings) == before
    assert not [p for p in (settings.index_dir / "generations").iterdir() if p.name.startswith(".building")]
    # the archive opened before keeps working, and a fresh open serves the old generation
    assert [h.passage.id for h in opened.search("water villages", mode="hybrid", k=5).hits] == old_ids
    opened.close()
    reopened = Archive.open(settings)
    try:
        assert reopened.generation == before
        assert [h.passage.id for h in reopened.search("water villages", mode="hybrid", k=5).hits] == old_ids
    finally:
        reopened.close()


def test_empty_archive_directory_fails(tmp_path):
    empty = tmp_path / "archive"
    empty.mkdir()
    with pytest.raises(ArchiveError):
        build(Settings(archive_dir=empty, index_dir=tmp_path / "index", model=None), show_progress=False)
    with pytest.raises(IndexUnavailable):
        Archive.open(Settings(archive_dir=empty, index_dir=tmp_path / "index", model=None))


def test_missing_archive_directory_fails(tmp_path):
    with pytest.raises(ArchiveError) as caught:
        build(Settings(archive_dir=tmp_path / "nope", index_dir=tmp_path / "index", model=None), show_progress=False)
    assert "nope" in str(caught.value)


def test_broken_catalog_fails_the_build_and_keeps_the_old_index(settings):
    build(settings, show_progress=False)
    before = served_generation(settings)
    (settings.archive_dir / "catalog.toml").write_text('["issues"."a.txt"]\nnumber = "four"\n', encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        build(settings, show_progress=False)
    assert "catalog.toml" in str(caught.value)
    assert served_generation(settings) == before


def test_catalog_is_applied_by_the_build(settings):
    (settings.archive_dir / "catalog.toml").write_text(
        '[newsletter]\ntitle = "Test Bulletin"\n\n["issues"."b.md"]\nnumber = 5\ndate = "2021-07-20"\n'
        'source_link = "https://example.org/b.pdf"\n', encoding="utf-8")
    build(settings, show_progress=False)
    archive = Archive.open(settings)
    try:
        b = archive.issue("b").issue
        assert b.number == 5 and b.date.iso == "2021-07-20" and not b.date_inferred
        assert b.source_link == "https://example.org/b.pdf"
        assert b.provenance["number"] == "catalog" and b.provenance["date"] == "catalog"
        assert archive.issue("a").issue.title.startswith("Test Bulletin")
    finally:
        archive.close()


# --- staleness -----------------------------------------------------------------------------------

def test_staleness(settings):
    reason = index_staleness(settings)
    assert isinstance(reason, str) and reason

    build(settings, show_progress=False)
    assert index_staleness(settings) is None

    path = settings.archive_dir / "a.txt"
    path.write_text(ISSUE_A.replace("120 volunteers", "130 volunteers"), encoding="utf-8")
    changed = index_staleness(settings)
    assert isinstance(changed, str) and changed

    build(settings, show_progress=False)
    assert index_staleness(settings) is None

    write_issue(settings.archive_dir, "c.txt", "NEW STORY\n\nIOM Turkmenistan met youth leaders in Ashgabat.\n")
    assert index_staleness(settings)
    (settings.archive_dir / "c.txt").unlink()
    assert index_staleness(settings) is None

    (settings.archive_dir / "catalog.toml").write_text('["issues"."a.txt"]\nnumber = 40\n', encoding="utf-8")
    assert index_staleness(settings)


def test_staleness_when_model_configuration_changes(settings):
    build(settings, show_progress=False)
    other = Settings(archive_dir=settings.archive_dir, index_dir=settings.index_dir, model="some-other-model")
    assert index_staleness(other)


# --- manifest and rebuilds -----------------------------------------------------------------------

def test_manifest(settings):
    report = build(settings, show_progress=False)
    assert report.generation == served_generation(settings)
    manifest = json.loads((report.generation / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(manifest["model"], str) and manifest["model"]
    assert manifest["model_config"] is None  # the packaged default
    assert manifest["dimension"] == 384
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["fingerprint"])
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["passages"] == report.passages > 0


def test_manifest_names_the_model(settings):
    report = build(settings, show_progress=False)
    manifest = json.loads((report.generation / "manifest.json").read_text(encoding="utf-8"))
    assert "minilm-l6" in manifest["model"].lower()


def test_rebuild_reuses_vectors_and_keeps_ids(settings):
    first = build(settings, show_progress=False)
    assert first.embedded == first.passages > 0
    archive = Archive.open(settings)
    ids = [p.id for view in archive.issues() for p in view.passages]
    fingerprint = archive.manifest["fingerprint"]
    archive.close()

    second = build(settings, show_progress=False)
    assert second.embedded == 0
    assert second.passages == first.passages
    assert second.generation != first.generation
    archive = Archive.open(settings)
    try:
        assert [p.id for view in archive.issues() for p in view.passages] == ids
        assert archive.manifest["fingerprint"] == fingerprint
    finally:
        archive.close()


def test_rebuild_embeds_only_changed_passages(settings):
    first = build(settings, show_progress=False)
    path = settings.archive_dir / "b.md"
    path.write_text(ISSUE_B.replace("35 seasonal workers", "42 seasonal workers"), encoding="utf-8")
    second = build(settings, show_progress=False)
    assert second.embedded == 1  # only the passage of the changed paragraph
    assert second.passages == first.passages
    archive = Archive.open(settings)
    try:
        hits = archive.search("42 seasonal workers", mode="keyword", k=1).hits
        assert hits and "42 seasonal workers" in hits[0].passage.text
    finally:
        archive.close()


def test_unchanged_rebuild_parses_nothing_and_takes_over_the_indexes(settings, monkeypatch):
    first = build(settings, show_progress=False)
    assert first.reused == []

    def no_parsing(path, catalog):
        raise AssertionError(f"{path.name} was parsed again")

    monkeypatch.setattr("index.store.build.read_issue", no_parsing)
    second = build(settings, show_progress=False)
    assert any(name.startswith("keyword/") for name in second.reused)
    assert "figure_vectors.npy" in second.reused and any(name.startswith("figures/") for name in second.reused)
    archive = Archive.open(settings)  # checksums verified, as for any generation
    try:
        hits = archive.search("school books", mode="keyword", k=1).hits
        assert hits and "school books" in hits[0].passage.text
        assert [f.value for f in archive.search_figures(FigureQuery("school books")).figures][:1] == [2450]
    finally:
        archive.close()


def results(settings: Settings) -> list:
    archive = Archive.open(settings)
    try:
        return [[(h.passage.id, round(h.score, 6)) for h in archive.search(q, mode=mode, k=20).hits]
                for q in ("school books", "3,900", "2,450", "water villages", "migrants", "judges")
                for mode in ("keyword", "hybrid")] + [
            [(f.id, f.value) for f in archive.search_figures(FigureQuery(q)).figures] for q in ("school books", "")]
    finally:
        archive.close()


def test_a_changed_file_updates_only_its_passages(settings, tmp_path):
    """The keyword index is the served one with the changed passage's document replaced, its figures are
    read again and no other passage's; the results are those of an index built from nothing."""
    build(settings, show_progress=False)
    (settings.archive_dir / "a.txt").write_text(ISSUE_A.replace("2,450 school books", "3,900 school books"),
                                                encoding="utf-8")
    report = build(settings, show_progress=False)
    assert any(name.startswith("keyword/") for name in report.reused)
    assert report.updated["keyword"]["removed"] == report.updated["keyword"]["added"] == 1
    assert report.updated["figures"]["passages_read"] == 1 and report.embedded == 1
    archive = Archive.open(settings)
    try:
        assert archive.search("3,900", mode="keyword", k=1).hits
        assert not archive.search("2,450", mode="keyword", k=1).hits
    finally:
        archive.close()
    fresh = Settings(archive_dir=settings.archive_dir, index_dir=tmp_path / "fresh", model=None)
    assert build(fresh, show_progress=False).reused == []
    assert results(settings) == results(fresh)


def test_added_and_removed_files_update_the_indexes(settings, tmp_path):
    build(settings, show_progress=False)
    write_issue(settings.archive_dir, "c.md", ISSUE_B.replace("SEASONAL WORKERS IN ALMATY", "HOTLINE IN BISHKEK"))
    (settings.archive_dir / "b.md").unlink()
    report = build(settings, show_progress=False)
    assert report.updated["keyword"]["removed"] == report.updated["keyword"]["added"] > 0
    fresh = Settings(archive_dir=settings.archive_dir, index_dir=tmp_path / "fresh", model=None)
    build(fresh, show_progress=False)
    assert results(settings) == results(fresh)


def test_a_fragmented_keyword_index_is_merged_after_the_update_is_served(settings, tmp_path):
    first = build(settings, show_progress=False)
    changed = ISSUE_B.replace("35 seasonal", "36 seasonal").replace("Samarkand", "Bukhara")
    (settings.archive_dir / "b.md").write_text(changed, encoding="utf-8")
    report = build(settings, show_progress=False)  # 2 of 4 passages replaced: a third of the documents deleted
    assert report.updated["keyword"]["removed"] == 2
    assert report.served_first is not None and report.served_first != report.generation != first.generation
    assert served_generation(settings) == report.generation
    vectors = report.generation / "vectors.npy", report.served_first / "vectors.npy"
    assert vectors[0].read_bytes() == vectors[1].read_bytes() and not vectors[0].samefile(vectors[1])  # copied
    assert segment_health(report.generation / "keyword") == (1, 4, 0)  # one segment, no deleted documents
    fresh = Settings(archive_dir=settings.archive_dir, index_dir=tmp_path / "fresh", model=None)
    build(fresh, show_progress=False)
    assert results(settings) == results(fresh)


def test_a_new_issue_date_alone_updates_and_groups_the_figure_series_again(settings):
    """Passages unchanged, an issue's date changed: figure series order their points by date, so the
    figures are not taken over whole as for the same documents."""
    build(settings, show_progress=False)
    (settings.archive_dir / "catalog.toml").write_text('["issues"."b.md"]\ndate = "2021-06-03"\n', encoding="utf-8")
    report = build(settings, show_progress=False)
    assert report.updated["keyword"] == {"removed": 0, "added": 0, "kept": 4}
    assert report.served_first is not None  # the series were grouped again after the update was served
    archive = Archive.open(settings)
    try:
        assert archive.issue("b").issue.date.iso == "2021-06-03"
        assert all(figure.issue.date for figure in archive.figure_records() if figure.issue.id == "b")
    finally:
        archive.close()


def test_a_catalog_change_is_parsed_again(settings):
    build(settings, show_progress=False)
    (settings.archive_dir / "catalog.toml").write_text('["issues"."a.txt"]\nnumber = 40\n', encoding="utf-8")
    build(settings, show_progress=False)
    archive = Archive.open(settings)
    try:
        assert archive.issue("a").issue.number == 40
    finally:
        archive.close()


def test_a_damaged_parse_cache_entry_is_parsed_again(settings):
    build(settings, show_progress=False)
    entries = list(Store(settings.index_dir).parse_cache_dir.glob("*.json"))
    assert len(entries) == 2
    for entry in entries:
        entry.write_bytes(b"not an entry")
    report = build(settings, show_progress=False)
    assert report.issues == 2
    assert all(entry.read_bytes() != b"not an entry" for entry in entries)


def test_a_removed_file_leaves_the_parse_cache(settings):
    build(settings, show_progress=False)
    (settings.archive_dir / "b.md").unlink()
    build(settings, show_progress=False)
    assert len(list(Store(settings.index_dir).parse_cache_dir.glob("*.json"))) == 1


def test_a_damaged_keyword_index_is_not_taken_over(settings):
    first = build(settings, show_progress=False)
    segment = max((first.generation / "keyword").glob("*.seg"), key=lambda p: p.stat().st_size)
    segment.write_bytes(segment.read_bytes()[:-10] + b"0123456789")
    report = build(settings, show_progress=False)
    assert report.reused == []
    archive = Archive.open(settings)
    try:
        assert archive.search("school books", mode="keyword", k=1).hits
    finally:
        archive.close()


def test_old_generations_are_cleaned_up(settings):
    for _ in range(4):
        build(settings, show_progress=False)
    generations = [p for p in (settings.index_dir / "generations").iterdir() if p.name.startswith("gen-")]
    assert 1 <= len(generations) <= 2
    assert served_generation(settings) in generations


def test_generation_names_sort_in_build_order_across_a_second_boundary():
    readings = [1_700_000_000_986_055_000, 1_700_000_001_006_355_101, 1_700_000_001_500_000_000, 1_700_000_060_000_000_000]
    names = [generation_name(ns) for ns in readings]
    assert sorted(names) == names
    assert len(set(names)) == len(names)


def test_index_of_another_schema_is_refused(settings):
    report = build(settings, show_progress=False)
    manifest_path = report.generation / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["schema_version"] = SCHEMA_VERSION + 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexUnavailable) as caught:
        Archive.open(settings)
    assert "rebuild" in str(caught.value)
    assert index_staleness(settings)


def test_damaged_vectors_are_refused(settings):
    report = build(settings, show_progress=False)
    with (report.generation / "vectors.npy").open("ab") as handle:
        handle.write(b"garbage")
    with pytest.raises(IndexUnavailable):
        Archive.open(settings)


def test_no_index_yet(settings):
    with pytest.raises(IndexUnavailable):
        Archive.open(settings)


def test_opening_hashes_only_the_files_whose_stamp_changed(settings, monkeypatch):
    """Checksums are computed at build time with each file's stamp; opening hashes a file only when its
    stamp (inode, size, times) changed since, and a damaged file is still refused."""
    report = build(settings, show_progress=False)
    hashed: list[str] = []
    real = generations.file_sha256
    monkeypatch.setattr(generations, "file_sha256", lambda path: hashed.append(path.name) or real(path))
    Archive.open(settings).close()
    assert hashed == []
    os.utime(report.generation / "vectors.npy")  # touched: the same bytes, another stamp
    Archive.open(settings).close()
    assert hashed == ["vectors.npy"]
    text = report.generation / "passages" / "text.utf8.npy"
    data = bytearray(text.read_bytes())
    data[-5:] = b"XXXXX"
    text.write_bytes(bytes(data))
    with pytest.raises(IndexUnavailable, match="passages/text.utf8.npy does not match its checksum"):
        Archive.open(settings)


def series(settings: Settings) -> list:
    archive = Archive.open(settings)
    try:
        return [(s.label, [p.id for p in s.points]) for s in archive.figure_index.series]
    finally:
        archive.close()


def test_series_are_grouped_again_after_an_update_is_served(tmp_path):
    """An update keeps the served series less the points of passages that changed; the build then serves
    a further generation with the series of all figures grouped again, as a build from nothing has them."""
    settings = Settings(archive_dir=copy_of_corpus(tmp_path / "archive"), index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    before = series(settings)
    assert len(before) == 3
    write_issue(settings.archive_dir, "2023-03_issue12.txt", """IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 12, 20/03/2023

ASSISTANCE TO VULNERABLE MIGRANTS

Since the beginning of the pandemic IOM has assisted 9,870 victims of trafficking and vulnerable migrants
across Central Asia with shelter, food, medical care and help to return home.
""")
    report = build(settings, show_progress=False)
    assert report.updated["figures"]["passages_read"] == 1
    assert report.served_first is not None and served_generation(settings) == report.generation
    fresh = Settings(archive_dir=settings.archive_dir, index_dir=tmp_path / "fresh", model=None)
    build(fresh, show_progress=False)
    after = series(settings)
    assert after == series(fresh)
    assert after != before and any(p.startswith("2023-03_issue12") for _, points in after for p in points)
