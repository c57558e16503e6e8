"""Snippets: the part of a passage that best shows why it matched, with the query's words marked.

Words are compared after the keyword analyzer (lowercase, stemming, joined thousands groups), so
"trainings" marks "training" and the query `7801` marks "7,801" in the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .keyword import ANALYZER, query_terms

SNIPPET_CHARS = 320


@dataclass(frozen=True)
class Segment:
    text: str
    highlighted: bool


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


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> list[Segment]:
    """The best window of `text` for `query`, as segments; "…" marks where text was cut off."""
    spans = _matches(text, set(query_terms(query)))
    start, end = _window(text, spans, width)
    segments: list[Segment] = [Segment("…", False)] if start > 0 else []
    cursor = start
    for a, b in spans:
        if a < start or b > end:
            continue
        if a > cursor:
            segments.append(Segment(text[cursor:a], False))
        segments.append(Segment(text[a:b], True))
        cursor = b
    if cursor < end:
        segments.append(Segment(text[cursor:end], False))
    if end < len(text):
        segments.append(Segment("…", False))
    return segments
