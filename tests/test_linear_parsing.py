"""Parsing is linear in its input: a file under the size limits cannot stall a build.

Each input here is 100 KB written to make a backtracking pattern (or a rescan per figure, per line,
per unit) go quadratic: runs of `[`, `\\[`, `<sup>`, unclosed links, a heading padded with spaces, an
e-mail address that never ends, a bracket after a figure that never closes, a long line of figures.
Before the fix the link pattern alone took 17 s for 10 KB of `[`.  Each is read through every stage
that reads a newsletter issue's text at build time: blocks, stories and passages (index.reader),
figures (index.figures) and keyword terms (index.keyword), under a timeout far above what linear
work takes, so a return to quadratic work fails the test rather than merely slowing it down.
"""

from __future__ import annotations

import pytest

from index.figures.extract import extract_figures
from index.ingest.blocks import MAX_HEADING_CHARS
from index.ingest.catalog import Catalog
from index.ingest.passages import default_word_pieces
from index.ingest.reader import parse_issue
from index.records import ParsedIssue
from index.text.analysis import passage_terms

SIZE = 100_000
DENSE = 20_000  # text that is all figures: each figure costs its own work (before: over 20 s for this size)
# Far above linear work (about 2 s for the slowest input on a loaded 2-core machine) and far below
# quadratic (10 KB of "[" took 17 s, so 100 KB would take about half an hour).
LINEAR_TIME_S = 30


def repeated(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def read_as_a_build_does(text: str) -> tuple[ParsedIssue, list]:
    """The issue parsed, and the figures and keyword terms of each of its passages."""
    parsed = parse_issue("hostile.md", text, Catalog())
    figures = [figure for passage in parsed.passages for figure in extract_figures(passage.text)]
    for passage in parsed.passages:
        passage_terms(passage.text)
    return parsed, figures


def passage_text(parsed: ParsedIssue) -> str:
    """The passages' text as one, spaces and line breaks as single spaces (a passage ends anywhere
    in an endless word)."""
    return " ".join(" ".join(passage.text for passage in parsed.passages).split())


ADVERSARIAL = {
    # index.parsing: links, superscripts, autolinks, markdown headings, e-mail addresses in headings
    "open brackets": repeated("["),
    "escaped brackets": repeated("\\["),
    "unclosed superscripts": repeated("<sup>"),
    "links that never close": repeated("[a]("),
    "autolinks that never close": repeated("<http://"),
    "heading padded with spaces": "# A" + " " * SIZE + "B",
    "capitals and at signs": repeated("A@"),
    "words and at signs": repeated("a@"),
    # index.figures: what is not a figure, currencies, qualifiers, breakdowns, labels, sentences
    "dotted words": repeated("a."),
    "hyphenated words": repeated("a-"),
    "a bracket of digits that never closes": "1 (" + "1" * SIZE,
    "a figure on a long line": "500 " + repeated("migrants "),
    "a figure at the end of a long line": repeated("migrants ") + " 500",
    # figures on every line, every figure in brackets or money: work per figure must not grow with the text
    "a figure on every line": repeated("1\n", DENSE),
    "figures in brackets": repeated("(1 ", DENSE),
    "money": repeated("$1 ", DENSE),
    "one endless word of figures": repeated("1%", DENSE),
}


@pytest.mark.timeout(LINEAR_TIME_S)
@pytest.mark.parametrize("name", ADVERSARIAL)
def test_an_adversarial_100_kb_issue_is_read_in_linear_time(name):
    """Read in time, and into passages and titles of the sizes they always have, so that nothing
    done later once per passage (or per figure, each with its passage's title) grows with the file."""
    parsed, _ = read_as_a_build_does(ADVERSARIAL[name])
    assert all(len(section.title) <= MAX_HEADING_CHARS for section in parsed.sections)
    pieces = default_word_pieces()
    assert all(pieces.count(f"{p.section_title}. {p.text}") <= pieces.limit for p in parsed.passages)


@pytest.mark.timeout(LINEAR_TIME_S)
def test_a_link_after_100_kb_of_brackets_is_still_read_as_its_text():
    parsed, _ = read_as_a_build_does(repeated("[") + " see [the forum report](https://example.org/report.pdf) today")
    text = passage_text(parsed)
    assert "see the forum report today" in text
    assert "example.org" not in text


@pytest.mark.timeout(LINEAR_TIME_S)
def test_a_superscript_after_100_kb_of_open_ones_is_still_taken_out():
    parsed, _ = read_as_a_build_does("IOM helped 500 families" + repeated("<sup>") + " and<sup>12</sup> more")
    text = passage_text(parsed)
    assert text.endswith(" and more") and "</sup>" not in text and "12" not in text


@pytest.mark.timeout(LINEAR_TIME_S)
def test_a_heading_padded_with_spaces_keeps_its_words_and_loses_its_closing_hashes():
    parsed, _ = read_as_a_build_does("## WATER" + " " * SIZE + "FOR VILLAGES ##\n\nIOM brought water to 12 villages.")
    assert parsed.sections[0].title.split() == ["WATER", "FOR", "VILLAGES"]


@pytest.mark.timeout(LINEAR_TIME_S)
def test_a_qualifier_and_a_label_far_along_a_long_line_are_still_read():
    parsed, figures = read_as_a_build_does(repeated("word ") + "\n\nIOM reached more than 7,801 victims of trafficking.")
    [figure] = [f for f in figures if f.value == 7801]
    assert (figure.qualifier, figure.label) == ("more than", "victims of trafficking")


@pytest.mark.timeout(LINEAR_TIME_S)
def test_an_email_address_after_a_long_run_of_at_signs_still_marks_contacts():
    parsed, _ = read_as_a_build_does(
        "## NEWS\n\nIOM opened an office.\n\n" + repeated("a@") + " write to iom@example.org")
    assert not parsed.passages[0].recurring
    assert len(parsed.passages) > 2 and all(p.recurring for p in parsed.passages[1:])
