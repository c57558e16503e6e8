"""Shared fixtures.  The real corpus is indexed once per test session with the real model and real
Whoosh; the model itself is loaded once per process (index.embed.models.load_embedder is memoised)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.config import ROOT, Settings
from index.facade import Archive, build
from index.records import Passage

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS_DIR = ROOT / "archive"
RUSSIAN_ISSUES = ROOT / "tests" / "fixtures" / "russian" / "issues"
EVAL_QUERIES = ROOT.parent / "shared" / "eval" / "queries.jsonl"

# Small newsletter issues that several test modules build archives from.
TWO_STORY_ISSUE = """\
IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 4, 15/03/2021

WATER FOR BORDER VILLAGES

IOM Tajikistan delivered clean drinking water to four villages near the border, where returning
migrants and their families had waited for months for a working well.

SCHOOL BOOKS IN OSH

IOM Kyrgyzstan gave 2,450 school books to the children of labour migrants in Osh, so that they can
keep up with their classes while their parents work abroad.
"""

ONE_STORY_ISSUE = """\
IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 4, 15/03/2021

WATER FOR BORDER VILLAGES

IOM Tajikistan delivered clean drinking water to four villages near the border, where returning
migrants and their families had waited for months for a working well.
"""

BEEKEEPING_ISSUE = """\
Issue №7, 12 December 2022

BEEKEEPING FOR RETURNEES

IOM Kyrgyzstan gave beehives and training to 25 returning migrants in Naryn, so that they can earn a
living from honey at home instead of leaving again for seasonal work abroad.
"""


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index of the real archive/ has been built, in a directory of this session."""
    settings = Settings(archive_dir=CORPUS_DIR, index_dir=tmp_path_factory.mktemp("index"), model=None)
    build(settings, show_progress=False)
    return settings


@pytest.fixture(scope="session")
def corpus_archive(corpus_settings: Settings) -> Archive:
    """The real corpus, opened through the facade, shared by every test of the session."""
    archive = Archive.open(corpus_settings)
    yield archive
    archive.close()


@pytest.fixture(scope="session")
def russian_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """The Russian fixtures (fixtures/russian/issues), indexed with the packaged model and real Whoosh."""
    settings = Settings(archive_dir=RUSSIAN_ISSUES, index_dir=tmp_path_factory.mktemp("russian-index"), model=None)
    build(settings, show_progress=False)
    archive = Archive.open(settings)
    yield archive
    archive.close()


def built_archive(tmp_path_factory: pytest.TempPathFactory, name: str, files: dict[str, str]) -> Settings:
    """Settings of a new archive holding `files` (file name -> text), its index built; `name` names
    its folders."""
    archive_dir = tmp_path_factory.mktemp(f"{name}-archive")
    for file_name, text in files.items():
        (archive_dir / file_name).write_text(text, encoding="utf-8")
    settings = Settings(archive_dir=archive_dir, index_dir=tmp_path_factory.mktemp(f"{name}-index"), model=None)
    build(settings, show_progress=False)
    return settings


def copy_of_corpus(directory: Path) -> Path:
    """`directory` holding a copy of the real archive (issues and catalog), for tests that change it."""
    shutil.copytree(CORPUS_DIR, directory, dirs_exist_ok=True)
    return directory


def write_issue(directory: Path, name: str, text: str) -> Path:
    """A newsletter issue file written for a test."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def make_passage(ordinal: int, title: str, text: str) -> Passage:
    """A passage written for a test, known by its ordinal (id "p<ordinal>", section "s<ordinal>")."""
    return Passage(id=f"p{ordinal}", issue_id="issue", section_id=f"s{ordinal}", section_title=title, position=0,
                   text=text, countries=(), recurring=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds (child processes, real servers)")
