"""Incremental indexing: a rebuild embeds only passages whose text (or model) changed, and loads the
model only when it has something to embed.  A changed file replaces exactly its own passages; a
removed file leaves the results.  Small archives written here; the model is loaded once per process.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_issue

from index.config import EmbeddingSettings, Settings
from index.embed import models
from index.embed.cache import VectorCache, embed_with_cache
from index.embed.models import ModelSource, model_identity
from index.facade import Archive, build

ISSUE_A = """\
WATER FOR BORDER VILLAGES

On 2 March 2021 IOM Tajikistan delivered clean drinking water to four villages near the border, where
returning migrants and their families had waited for months for a working well.

SCHOOL BOOKS IN OSH

IOM Kyrgyzstan gave 2,450 school books to the children of labour migrants in Osh, so that they can
keep up with their classes while their parents work abroad.
"""

ISSUE_B = """\
SEASONAL WORKERS IN ALMATY

On 3 June 2021 IOM Kazakhstan met 35 seasonal workers on farms near Almaty to explain their rights,
their contracts and where to turn for help when wages are not paid.

TRAINING FOR JUDGES

Judges from Tashkent and Samarkand learned how to recognise victims of trafficking in court cases and
how to refer them to shelters for protection.
"""


@pytest.fixture()
def settings(tmp_path) -> Settings:
    archive = tmp_path / "archive"
    write_issue(archive, "a.txt", ISSUE_A)
    write_issue(archive, "b.txt", ISSUE_B)
    return Settings(archive_dir=archive, index_dir=tmp_path / "index", model=None)


def refuse_to_load_the_model(monkeypatch) -> None:
    """From now on loading the embedding model fails, to show that a build did not need it."""
    def refuse(settings=None):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(models, "load_embedder", refuse)


def vectors_by_passage(settings: Settings) -> dict[str, np.ndarray]:
    archive = Archive.open(settings)
    try:
        return {p.id: np.load(archive.generation / "vectors.npy")[i] for i, p in enumerate(archive.passages)}
    finally:
        archive.close()


def test_unchanged_rebuild_loads_no_model_and_embeds_nothing(settings, monkeypatch):
    first = build(settings, show_progress=False)
    assert first.embedded == first.passages == 4

    refuse_to_load_the_model(monkeypatch)
    second = build(settings, show_progress=False)
    assert second.embedded == 0 and second.passages == 4
    archive = Archive.open(settings)
    try:
        assert archive.manifest["dimension"] == 384 and archive.manifest["model"] == "sentence-transformers/all-MiniLM-L6-v2"
        assert archive.search("school books", mode="keyword", k=1).hits[0].passage.section_title == "SCHOOL BOOKS IN OSH"
    finally:
        archive.close()


def test_a_changed_file_re_embeds_only_its_changed_passages(settings):
    build(settings, show_progress=False)
    before = vectors_by_passage(settings)
    path = settings.archive_dir / "b.txt"
    path.write_text(ISSUE_B.replace("35 seasonal workers", "42 seasonal workers")
                    + "\nNEW SHELTER IN NUKUS\n\nIOM Uzbekistan opened a shelter for victims of trafficking in Nukus.\n",
                    encoding="utf-8")

    report = build(settings, show_progress=False)
    assert report.embedded == 2  # the changed paragraph and the new story; nothing of a.txt
    after = vectors_by_passage(settings)
    assert set(after) == set(before) | {"b-s3-p1"}
    unchanged = [pid for pid in before if pid != "b-s1-p1"]
    assert all(np.array_equal(before[pid], after[pid]) for pid in unchanged)
    assert not np.array_equal(before["b-s1-p1"], after["b-s1-p1"])
    archive = Archive.open(settings)
    try:
        hits = archive.search("42 seasonal workers", mode="keyword", k=1).hits
        assert hits and "42 seasonal workers" in hits[0].passage.text
        assert not archive.search("35", mode="keyword", k=5).hits
    finally:
        archive.close()


def test_a_removed_file_leaves_the_results(settings, monkeypatch):
    build(settings, show_progress=False)
    (settings.archive_dir / "b.txt").unlink()

    refuse_to_load_the_model(monkeypatch)  # nothing to embed, so no model either
    report = build(settings, show_progress=False)
    assert report.issues == 1 and report.embedded == 0
    archive = Archive.open(settings)
    try:
        assert [view.issue.id for view in archive.issues()] == ["a"]
        assert all(p.issue_id == "a" for p in archive.passages)
        assert not archive.search("seasonal workers Almaty", mode="keyword", k=5).hits
    finally:
        archive.close()


def test_two_files_with_one_issue_id_index_only_the_first(settings):
    write_issue(settings.archive_dir, "a.md", "## ANOTHER STORY\n\nIOM Turkmenistan met youth leaders in Ashgabat.\n")
    report = build(settings, show_progress=False)
    assert dict(report.skipped)["a.txt"].startswith("issue id 'a' is already that of a.md")
    assert report.issues == 2


def test_cache_keys_tell_models_in_same_named_directories_apart(tmp_path):
    for owner in ("one", "two"):
        (tmp_path / owner / "model").mkdir(parents=True)
        (tmp_path / owner / "model" / "config.json").write_text("{}", encoding="utf-8")
    assert (model_identity(EmbeddingSettings(str(tmp_path / "one" / "model")))
            != model_identity(EmbeddingSettings(str(tmp_path / "two" / "model"))))
    assert model_identity(EmbeddingSettings("sentence-transformers/all-MiniLM-L6-v2")) == "sentence-transformers/all-MiniLM-L6-v2"


def test_a_cached_vector_of_the_wrong_size_is_embedded_again(tmp_path):
    cache = VectorCache(tmp_path / "vectors.sqlite")
    try:
        texts = ["IOM Tajikistan delivered water.", "IOM Kyrgyzstan gave school books."]
        model = ModelSource.configured(EmbeddingSettings())
        matrix, embedded = embed_with_cache(model, texts, cache)
        assert embedded == 2 and matrix.shape == (2, 384)
        cache.put_many({VectorCache.key(model.identity, texts[1]): np.ones(7, np.float32)})  # damaged

        again, embedded = embed_with_cache(model, texts, cache)
        assert embedded == 1
        assert np.allclose(again, matrix, atol=1e-5)
    finally:
        cache.close()
