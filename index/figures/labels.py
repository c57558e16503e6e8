"""What a figure counts (its label) and the sentence it stands in, read from the words around it.

English labels are read by rule ("7,801 victims of trafficking and vulnerable migrants"): the noun
phrase after the figure, to its first plural noun.  A Russian label is the noun phrase after the
figure, read by part of speech (index.text.russian): nouns, adjectives and participles, up to a
preposition, conjunction, verb or punctuation ("1 250 трудовым мигрантам, вернувшимся" -> "трудовым
мигрантам"; "45 сотрудников Пограничной службы Кыргызстана и таможенных органов" -> "сотрудников
Пограничной службы Кыргызстана"); "и" goes on only between adjectives ("пограничной и миграционной
служб").  A figure whose phrase comes before it ("бюджет второго этапа составил 2,5 млн") is labelled
by the words that introduce it, in either language.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from index.figures.forms import AMOUNT, SCALE, qualifier_before
from index.text import russian
from index.text.languages import RUSSIAN, word_language

# --- Labels: what a figure counts ---------------------------------------------------------------------

_LABEL_WORDS = 6
_WORD = re.compile(r"[^\W\d_][\w’'-]*|\d[\d.,]*|[^\s*]")
# Words that end the noun phrase after a figure: prepositions, verbs and clause words.
# ("of" and "and" do not: "7,801 victims of trafficking and vulnerable migrants".)
_ENDS_PHRASE = frozenset("""
    to in on at by for from with into through during under over across back about among between since until
    within without per via as than after before against towards toward upon amid including each
    is are was were be been being has have had will would can could may might must shall should do does did
    that which who whom whose where when while but or so if because
""".split())
# Words that end a label read backwards from a figure ("Kyrgyzstan's national hotline (1899)").
_ENDS_PHRASE_BACKWARDS = frozenset("""and or but as than that which who is are was were has have had will
    и или а но что как который которая которое которые которых""".split())
# What may stand between a label and the figure it introduces: "Total ... covered is: 1131", "a grant of $500".
_LINKING = frozenset(""": ( = - – is are was were reached totalled totaled of
    составил составила составило составили составляет составляют достиг достигла достигло достигли""".split())
_FUNCTION_WORDS = frozenset("the a an of and or in on at to for by with в во на с со к о об и из за по для от до у".split())
# The parts of speech of a Russian noun phrase: nouns, and the adjectives and participles that qualify them.
_RUSSIAN_NOUN, _RUSSIAN_MODIFIERS = "NOUN", frozenset({"ADJF", "PRTF"})
_DEPENDENT_CASES = frozenset({"gent", "ablt"})  # what may follow the head noun: "of whom", "in what"
_PLURAL_WITHOUT_S = frozenset("people staff children women men personnel police youth".split())


def noun_phrase(words: list[str]) -> str:
    """The noun phrase a figure counts, read from the words after it: it ends at punctuation, a
    preposition or verb, after the first plural noun unless "of"/"and" goes on ("victims of
    trafficking and vulnerable migrants"), or after six words.  "N of M things" (a part of a whole,
    "700,000 of Kyrgyzstan's 6.3 million citizens") reads through the "of" and the second number.
    A Russian phrase is read by its parts of speech (`_russian_noun_phrase`)."""
    if words and word_language(words[0]) == RUSSIAN:
        return _russian_noun_phrase(words)
    if words[:1] == ["of"]:
        words = [word for word in words[1:] if not word[0].isdigit() and not re.fullmatch(SCALE, word, re.I)]
    phrase: list[str] = []
    for position, word in enumerate(words):
        if not word[0].isalpha() or word.lower() in _ENDS_PHRASE or (not phrase and word.lower() in _FUNCTION_WORDS):
            break
        phrase.append(word)
        following = words[position + 1].lower() if position + 1 < len(words) else ""
        if len(phrase) == _LABEL_WORDS or (_is_plural(word) and following not in ("of", "and")):
            break
    return _trim(phrase)


def _russian_noun_phrase(words: list[str]) -> str:
    """The noun phrase after a Russian figure: its head noun with the adjectives and participles before
    it, then what depends on it in the genitive or instrumental ("сотрудников Пограничной службы",
    "жертвам торговли людьми"), up to six words; "и" joins two adjectives ("пограничной и
    миграционной служб").  A modifier left dangling at the end is dropped unless it is the whole phrase
    (an adjective used as a noun: "540 рабочих")."""
    kinds = [russian.part_of_speech(word) if word[0].isalpha() else None for word in words]
    phrase: list[str] = []
    head_seen = False
    for position, (word, kind) in enumerate(zip(words, kinds)):
        following = kinds[position + 1] if position + 1 < len(words) else None
        joins_adjectives = (word.lower() == "и" and bool(phrase) and kinds[position - 1] in _RUSSIAN_MODIFIERS
                            and following in _RUSSIAN_MODIFIERS)
        in_phrase = kind == _RUSSIAN_NOUN or kind in _RUSSIAN_MODIFIERS or joins_adjectives
        depends = joins_adjectives or not head_seen or bool(russian.cases(word) & _DEPENDENT_CASES)
        if len(phrase) == _LABEL_WORDS or not (in_phrase and depends):
            break
        phrase.append(word)
        head_seen = head_seen or kind == _RUSSIAN_NOUN
    while len(phrase) > 1 and russian.part_of_speech(phrase[-1]) in _RUSSIAN_MODIFIERS | {"CONJ"}:
        phrase.pop()
    return " ".join(phrase)


def introducing_label(text: str, start: int) -> str:
    """The words that introduce a figure through a colon, "is", "of" or a bracket ("Total number of
    people covered is: 1131", "a grant of $500,000"); "" where the words before do not name what the
    figure counts ("Remittances fell by 45 percent")."""
    words = _words_before(text, start)
    return label_before(text, start) if words[:1] and words[0].lower() in _LINKING else ""


def label_before(text: str, start: int) -> str:
    """The words before a figure, back to the clause's start, linking words dropped:
    "Kyrgyzstan's national hotline (1899)" -> "Kyrgyzstan's national hotline"."""
    words = _words_before(text, start)
    while words and words[0].lower() in _LINKING:
        words.pop(0)
    phrase: list[str] = []
    for word in words:
        if not word[0].isalpha() or word.lower() in _ENDS_PHRASE_BACKWARDS or len(phrase) == _LABEL_WORDS:
            break
        phrase.append(word)
    return _trim(phrase[::-1])


# How far from a figure its label is looked for, so that a long line costs no more than a short one:
# ample for _LABEL_WORDS words and the linking words and numbers between them and the figure.
_NEAR_CHARS = 160
_NEAR_WORDS = 3 * _LABEL_WORDS


def _words_before(text: str, start: int) -> list[str]:
    """The words of the figure's line before it, nearest first, its qualifier ("more than") left out.
    Only the last _NEAR_CHARS characters of the line are read (a word they cut is left out), so a
    long line costs no more than a short one."""
    window_start = max(0, start - _NEAR_CHARS)
    newline = text.rfind("\n", window_start, start)
    before = text[newline + 1 if newline >= 0 else window_start:start]
    qualifier = qualifier_before(before, len(before))
    words = _WORD.findall(before[:qualifier.start()] if qualifier else before)[::-1]
    return words[:-1] if newline < 0 and window_start > 0 else words


def _trim(words: list[str]) -> str:
    """The words joined, without function words dangling at either end."""
    while words and words[-1].lower() in _FUNCTION_WORDS:
        words = words[:-1]
    while words and words[0].lower() in _FUNCTION_WORDS:
        words = words[1:]
    return " ".join(words)


def _is_plural(word: str) -> bool:
    lower = word.lower()
    if lower in _PLURAL_WITHOUT_S:
        return True
    return len(lower) > 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is", "'s", "’s"))


def line_after(text: str, end: int) -> list[str]:
    """The first _NEAR_WORDS words of the figure's line after it (no label reads further)."""
    words, position = [], end
    for word in _WORD.finditer(text, end):
        if len(words) == _NEAR_WORDS or "\n" in text[position:word.start()]:
            break
        words.append(word.group())
        position = word.end()
    return words


# --- Stat blocks: a number on its own line over its label -------------------------------------------

_MARKUP = re.compile(r"<sup>(?:(?!</?sup>).)*</sup>|[*#]")  # a scan stops at the next <sup>: no rescans
_STAT_LABEL_WORDS = 4
_HEADING_WORDS = 8


def stat_block(text: str, match: re.Match[str]) -> tuple[str, str] | None:
    """For a figure alone on its line over a short label line ("76,698" over "Registered"): its label,
    prefixed by the block's heading ("COVID-19 overview in Central Asia: Registered"), and its
    "sentence", the two lines ("76,698 Registered").  None for a figure inside prose."""
    lines = _lines(text)
    index = bisect_right(lines.starts, match.start()) - 1
    if index < 0 or not match.start() < lines.ends[index] or lines.text[index] != match.group() \
            or index + 1 >= len(lines.text):
        return None
    line, label = lines.text[index], lines.text[index + 1]
    if not _is_stat_label(label):
        return None
    heading = lines.headings_above[index]
    return (f"{heading}: {label}" if heading else label), f"{line} {label}"


@dataclass(frozen=True)
class _Lines:
    """The non-blank lines of a text: where each starts and ends, its text without markup, and the
    stat-block heading above it (`_stat_block_headings`)."""

    starts: list[int]
    ends: list[int]
    text: list[str]
    headings_above: list[str]


@lru_cache(maxsize=2)
def _lines(text: str) -> _Lines:
    """The lines of `text`, worked out once per text: every figure of it asks."""
    starts, ends, lines, start = [], [], [], 0
    for line in text.split("\n"):
        clean = _MARKUP.sub("", line).strip()
        if clean:
            starts.append(start)
            ends.append(start + len(line))
            lines.append(clean)
        start += len(line) + 1
    return _Lines(starts, ends, lines, _stat_block_headings(lines))


def _is_stat_label(line: str) -> bool:
    return len(line.split()) <= _STAT_LABEL_WORDS and not any(ch.isdigit() for ch in line)


def _is_number_line(line: str) -> bool:
    return bool(re.fullmatch(AMOUNT, line))


def _stat_block_headings(lines: list[str]) -> list[str]:
    """For each line, the heading of a stat block that would start below the line before it: the
    nearest line above that is neither a figure nor a figure's label nor a bracketed aside like
    "(Kazakhstan, Kyrgyzstan, ...)", if it is short and not a sentence.  One pass over the lines."""
    headings, heading = [], ""
    for position, line in enumerate(lines):
        headings.append(heading)
        is_label_of_figure = position > 0 and _is_number_line(lines[position - 1])
        if not (_is_number_line(line) or is_label_of_figure or (line.startswith("(") and line.endswith(")"))):
            heading = line if len(line.split()) <= _HEADING_WORDS and not line.endswith((".", "!", "?")) else ""
    return headings


# --- Sentences -----------------------------------------------------------------------------------------

# A sentence ends at a line break, or at ". ", "! ", "? " before something that is not lower case
# (Latin or Cyrillic: "45 тыс. человек" is one sentence).
_SENTENCE_END = re.compile(r"\s*\n\s*|(?<=[.!?])[\"”’)]*\s+(?=[^a-zа-яё\s])")


def sentence_at(text: str, position: int) -> str:
    """The sentence of `text` that holds `position`, stripped."""
    starts, ends = _sentence_boundaries(text)
    index = bisect_right(starts, position)  # the first boundary that starts after `position`
    start = ends[index - 1] if index else 0
    return text[start:starts[index] if index < len(starts) else len(text)].strip(" *")


@lru_cache(maxsize=2)
def _sentence_boundaries(text: str) -> tuple[list[int], list[int]]:
    """Where each sentence end of `text` starts and ends, found once per text: every figure asks."""
    boundaries = list(_SENTENCE_END.finditer(text))
    return [b.start() for b in boundaries], [b.end() for b in boundaries]
