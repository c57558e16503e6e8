"""Snippets: the part of a passage that best shows why it matched, with the query's words marked.

Words are compared after the keyword analyzer (lowercase, stemming or Russian lemmas, joined
thousands groups), so "trainings" marks "training", "мигрант" marks "мигрантам" and the query `7801`
marks "7,801" in the text.  Where a passage changes language (a Russian slogan in an English story),
the stretch in the other language is a segment of its own that carries its language, for the page's
`lang` attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from index.search.query import query_terms
from index.text.analysis import ANALYZER
from index.text.languages import ENGLISH, language_runs

SNIPPET_CHARS = 320


@dataclass(frozen=True)
class Segment:
    """A piece of text; `figure` is what the figure it is part of counts ("count: deaths"), or "";
    `language` is set ("ru") where the piece is not in its passage's language."""

    text: str
    highlighted: bool
    figure: str = ""
    language: str = ""


# A figure's place in a text and what it counts: (start, end, title).
FigureSpan = tuple[int, int, str]


def _matches(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """(start, end) character spans of the words of `text` whose analysed form is in `terms`."""
    return [(t.startchar, t.endchar) for t in ANALYZER(text, chars=True, removestops=False) if t.text in terms]


def _window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The `width`-character stretch of `text`, cut at spaces, holding the most matched words."""
    if len(text) <= width:
        return 0, len(text)
    best_start = 0
    if spans:
        best_start = max((start for start, _ in spans),
                         key=lambda s: sum(1 for a, _ in spans if s <= a < s + width))
        best_start = max(0, min(best_start - width // 5, len(text) - width))
    start = text.rfind(" ", 0, best_start) + 1 if best_start else 0
    end = text.find(" ", start + width)
    return start, len(text) if end == -1 else end


def snippet(text: str, query: str, width: int = SNIPPET_CHARS, figures: Sequence[FigureSpan] = (),
            language: str = ENGLISH) -> list[Segment]:
    """The best window of `text` (written in `language`) for `query`, as segments; "…" marks where
    text was cut off.  Segments inside one of `figures` carry its title."""
    spans = _matches(text, set(query_terms(query)))
    start, end = _window(text, spans, width)
    segments = [Segment("…", False)] if start > 0 else []
    segments += _pieces(text, start, end, spans, figures, language)
    if end < len(text):
        segments.append(Segment("…", False))
    return segments


def paragraphs(text: str, figures: Sequence[FigureSpan] = (), language: str = ENGLISH) -> list[list[Segment]]:
    """`text` (written in `language`) split at blank lines, each paragraph as segments, the `figures` marked."""
    found, start = [], 0
    for paragraph in text.split("\n\n"):
        found.append(_pieces(text, start, start + len(paragraph), [], figures, language))
        start += len(paragraph) + 2
    return found


def _pieces(text: str, start: int, end: int, highlights: Sequence[tuple[int, int]],
            figures: Sequence[FigureSpan], language: str) -> list[Segment]:
    """text[start:end] cut wherever a highlight, a figure or a stretch in another language than
    `language` begins or ends."""
    inside = [(a, b) for a, b in highlights if start <= a and b <= end]
    foreign = [(a, b, other) for a, b, other in language_runs(text) if other != language]
    cuts = sorted({start, end, *(p for a, b in inside for p in (a, b)),
                   *(min(max(p, start), end) for a, b, _ in [*figures, *foreign] for p in (a, b))})
    pieces = []
    for a, b in pairwise(cuts):
        figure = next((title for x, y, title in figures if x <= a and b <= y), "")
        other = next((code for x, y, code in foreign if x <= a and b <= y), "")
        pieces.append(Segment(text[a:b], any(x <= a and b <= y for x, y in inside), figure, other))
    return pieces
