"""What searches accept and offer, in one object, for the web app's forms and OpenAPI document and
the command line (through the facade)."""

from __future__ import annotations

from dataclasses import dataclass

from index.figures.records import DEFAULT_FIGURES_K, FIGURE_KINDS, FIGURE_SORTS
from index.figures.series import SERIES_KINDS, SERIES_MIN_SIMILARITY
from index.records import COUNTRIES
from index.search.filters import MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MODES
from index.search.matching import RELATED
from index.search.ordering import GROUPS, SORTS
from index.text.languages import LANGUAGE_NAMES


@dataclass(frozen=True)
class Limits:
    """What searches accept and offer, for the web app's forms and OpenAPI document and the CLI."""

    modes: tuple[str, ...] = MODES
    sorts: tuple[str, ...] = SORTS
    groups: tuple[str, ...] = GROUPS
    related_min_similarity: float = RELATED.min_similarity
    related_min_margin: float = RELATED.min_margin
    max_k: int = MAX_K
    max_offset: int = MAX_OFFSET
    max_query_chars: int = MAX_QUERY_CHARS
    max_query_words: int = MAX_QUERY_WORDS
    countries: tuple[str, ...] = COUNTRIES
    figure_kinds: tuple[str, ...] = FIGURE_KINDS
    figure_sorts: tuple[str, ...] = FIGURE_SORTS
    default_figures_k: int = DEFAULT_FIGURES_K
    series_kinds: tuple[str, ...] = SERIES_KINDS
    series_min_similarity: float = SERIES_MIN_SIMILARITY
    languages: tuple[tuple[str, str], ...] = tuple(LANGUAGE_NAMES.items())  # (code, name in English)


LIMITS = Limits()
