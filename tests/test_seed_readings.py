"""The five issues the archive started with read as before the new readers, and the header forms.

fixtures/seed_readings_main.json holds each seed issue's metadata, sections, passages and figure
mentions as the code on main read them before the layout-aware readers came in (written by
`dump` below, run on that code).  They must read the same now, with one intended exception: in the
issue of November 2020 the HIV dialogue of 12 November, which has no heading of its own, is now a
story of its own instead of the end of "TRAINING MANUAL ON RETURN MIGRATION".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS_DIR

from index.figures.extract import extract_figures
from index.ingest import dates
from index.ingest.catalog import load_catalog
from index.ingest.reader import read_issue

SNAPSHOT = Path(__file__).parent / "fixtures" / "seed_readings_main.json"
NOVEMBER_2020 = "000_01b647a0f58beec8.txt"
HIV_DIALOGUE = "On 12 November, IOM, WHO, Tajik health authorities, and the NGO AFEW held a regional dialogue"


# Set in the catalog since the snapshot was taken (issue 14): the newsletter's name and author on every
# issue record, and where two issues are published.  Not read from the text, so not compared.
CATALOG_FIELDS = ("newsletter", "author", "source_link")


def read_from_the_text(issue: dict) -> dict:
    """An issue record less what the catalog has since added to it."""
    provenance = {k: v for k, v in issue["provenance"].items() if k not in CATALOG_FIELDS}
    return {**{k: v for k, v in issue.items() if k not in CATALOG_FIELDS}, "provenance": provenance}


def dump(archive: Path) -> dict:
    """Every seed issue as JSON: metadata, sections, passages (less their page and language, which came
    later) and figure mentions."""
    catalog = load_catalog(archive)
    out = {}
    for path in sorted(archive.glob("*.txt")):
        parsed = read_issue(path, catalog)
        out[path.name] = {
            "issue": read_from_the_text(parsed.issue.to_json()),
            "sections": [s.to_json() for s in parsed.sections],
            "passages": [{k: v for k, v in p.to_json().items() if k not in ("page", "language")}
                         for p in parsed.passages],
            "figures": {p.id: [f.to_json() for f in extract_figures(p.text)] for p in parsed.passages},
        }
    return out


@pytest.fixture(scope="module")
def before_and_now() -> tuple[dict, dict]:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    for reading in before.values():
        reading["issue"] = read_from_the_text(reading["issue"])
    return before, dump(CORPUS_DIR)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS_DIR.glob("*.txt") if p.name != NOVEMBER_2020))
def test_a_seed_issue_reads_exactly_as_before(before_and_now, name):
    before, now = before_and_now
    assert now[name] == before[name]


def test_november_2020_differs_only_by_the_hiv_dialogue_as_a_story_of_its_own(before_and_now):
    before, now = (data[NOVEMBER_2020] for data in before_and_now)
    assert now["issue"] == before["issue"]
    titles_before = [s["title"] for s in before["sections"]]
    titles_now = [s["title"] for s in now["sections"]]
    new = [s for s in now["sections"] if s["title"] not in titles_before]
    assert len(new) == 1 and new[0]["title_generated"] and new[0]["title"].startswith("On 12 November, IOM")
    assert [t for t in titles_now if t != new[0]["title"]] == titles_before
    # the same passages in the same order, with the same figures: only the story boundary moved
    assert [p["text"] for p in now["passages"]] == [p["text"] for p in before["passages"]]
    figures = [[(f["as_printed"], f["label"]) for f in found] for found in now["figures"].values()]
    assert figures == [[(f["as_printed"], f["label"]) for f in found] for found in before["figures"].values()]
    [hiv] = [p for p in now["passages"] if p["text"].startswith(HIV_DIALOGUE)]
    assert hiv["section_id"] == f"{now['issue']['id']}-s{new[0]['position']}"
    assert hiv["section"] == new[0]["title"]


@pytest.mark.parametrize("header, number, iso", [
    ("IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 9, 24/12/2020", 9, "2020-12-24"),
    ("Issue №3, 10 July 2020", 3, "2020-07-10"),
    ("IOM CENTRAL ASIA REGIONAL RESPONSE REPORT | ISSUE 11 | 30 NOVEMBER 2023", 11, "2023-11-30"),
    ("Issue 6, 01/07/2021", 6, "2021-07-01"),  # day first
    ("Regional Response Report • Issue 12 • 29 December 2023", 12, "2023-12-29"),
    ("issue 5 – 3 June 2022", 5, "2022-06-03"),
    ("ISSUE 11\n30 NOVEMBER 2023", 11, "2023-11-30"),
])
def test_every_header_form_gives_number_and_date(header, number, iso):
    found_number, found_date = dates.read_header(header)
    assert (found_number, found_date.iso, found_date.precision) == (number, iso, "day")
    assert dates.is_header(header)


def test_a_sentence_naming_an_issue_is_not_a_header():
    assert not dates.is_header("In Issue 11, 30 November 2023 we wrote about the legal aid desk in Osh.")
