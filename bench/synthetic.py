"""A synthetic newsletter archive scaled up from a real one, for benchmarks (scripts/bench).

How an archive of about N passages is made, deterministically (seeded):

1. The real archive is read as its index holds it (its IssueViews).  Its story passages (not the recurring
   boilerplate) are cut into sentences (at `.`, `!` or `?` followed by a capital letter or quote)
   into one pool; paragraph breaks inside passages are kept as the passages' shape.
2. Issue after issue is written until the passages of the real issues used as templates add up to N:
   each new issue takes a real issue, chosen at random, as its template: the same number of
   sections, each section a real section chosen at random (its title, and for each of its passages
   and paragraphs the same number of sentences), with every sentence drawn at random from the pool
   (from any issue).  The template issue's boilerplate paragraphs (contacts, hotlines) are copied
   as they are, so every issue repeats them, as the real ones do.
3. Each issue is a markdown file `syn-NNNNNN.md` with a printed header line
   (`IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE n, dd/mm/yyyy`), sections as `## TITLE`.
   Dates are new: spread evenly from 2000-01-01 over 30 years; the issue number restarts each year.

So vocabulary, sentence and passage lengths, figures and boilerplate are the real corpus', and the
archive goes through the real parser and indexers.  The number of passages the parser makes comes
out close to N, not exactly N.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from index.facade import Archive, IssueView, Settings, build, index_staleness
from index.text.sentences import split_sentences

GENERATOR_VERSION = 1
FIRST_DAY = date(2000, 1, 1)
SPAN_DAYS = 30 * 365


def sentences(text: str) -> list[str]:
    """`text` cut into sentences (the split the synthetic archive and its vectors use)."""
    return [s.strip() for s in split_sentences(" ".join(text.split())) if s.strip()]


@dataclass(frozen=True)
class _SectionShape:
    title: str
    passages: tuple[tuple[int, ...], ...]  # per passage, its paragraphs' sentence counts
    boilerplate: tuple[str, ...]  # recurring paragraphs, copied verbatim


def _shapes(real: Sequence[IssueView]) -> tuple[list[str], list[list[_SectionShape]], int]:
    """The sentence pool, each real issue's sections as shapes, and its number of passages."""
    pool: list[str] = []
    by_section: dict[str, list] = {}
    for view in real:
        for passage in view.passages:
            by_section.setdefault(passage.section_id, []).append(passage)
    issues: list[list[_SectionShape]] = []
    for view in real:
        shapes = []
        for section in view.sections:
            story, boilerplate = [], []
            for passage in by_section.get(section.id, []):
                if passage.recurring:
                    boilerplate.extend(p.strip() for p in passage.text.split("\n\n") if p.strip())
                    continue
                counts = []
                for paragraph in passage.text.split("\n\n"):
                    found = sentences(paragraph)
                    pool.extend(found)
                    if found:
                        counts.append(len(found))
                if counts:
                    story.append(tuple(counts))
            if story or boilerplate:
                shapes.append(_SectionShape(section.title, tuple(story), tuple(boilerplate)))
        if shapes:
            issues.append(shapes)
    return pool, issues, sum(len(view.passages) for view in real)


def header(number: int, day: date) -> str:
    return f"IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE {number}, {day:%d/%m/%Y}"


def write_synthetic_archive(real: Sequence[IssueView], target: Path, passages: int, seed: int = 0) -> int:
    """Write issues made from the `real` ones (see the module's docstring) into the empty or missing
    directory `target` until about `passages` passages; returns the number of issue files written."""
    pool, templates, real_passages = _shapes(real)
    if not pool or not templates:
        raise ValueError("the source corpus has no story text to recombine")
    all_sections = [section for issue in templates for section in issue]
    rng = random.Random(seed)
    per_issue = max(1.0, real_passages / len(templates))
    count = max(1, round(passages / per_issue))
    step = SPAN_DAYS / count
    target.mkdir(parents=True, exist_ok=True)
    numbers: dict[int, int] = {}
    made = planned = 0
    while planned < passages:
        day = FIRST_DAY + timedelta(days=int(made * step))
        numbers[day.year] = numbers.get(day.year, 0) + 1
        template = rng.choice(templates)
        lines = [header(numbers[day.year], day), ""]
        boilerplate: list[str] = []
        for _ in template:
            story, made_passages = _story_lines(rng.choice(all_sections), pool, rng)
            lines += story
            planned += made_passages
        for section in template:
            boilerplate += section.boilerplate
        if boilerplate:
            planned += 1
            lines += ["## CONTACTS", ""] + [line for paragraph in boilerplate for line in (paragraph, "")]
        (target / f"syn-{made:06d}.md").write_text("\n".join(lines), encoding="utf-8")
        made += 1
    return made


def _story_lines(section: _SectionShape, pool: Sequence[str], rng: random.Random) -> tuple[list[str], int]:
    """A story in the shape of `section`, its sentences drawn from `pool`: its lines, and its passages."""
    lines = [f"## {section.title.upper()}", ""]
    for shape in section.passages:
        for count in shape:
            lines += [" ".join(rng.choice(pool) for _ in range(count)), ""]
    return lines, len(section.passages)


def write_added_issue(real: Sequence[IssueView], path: Path, passages: int = 50, seed: int = 1) -> str:
    """One more issue made as the synthetic archive's are (the module's docstring), of about `passages`
    passages, dated after all of them, into `path` (named outside the archive's `syn-` files); returns
    its issue id.  What the benchmark adds to a built archive."""
    pool, templates, _ = _shapes(real)
    sections = [section for issue in templates for section in issue]
    rng = random.Random(seed)
    day = FIRST_DAY + timedelta(days=SPAN_DAYS + 30)
    lines, planned = [header(1, day), ""], 0
    while planned < passages:
        story, made_passages = _story_lines(rng.choice(sections), pool, rng)
        lines += story
        planned += made_passages
    path.write_text("\n".join(lines), encoding="utf-8")
    return path.stem


def approximate_vectors(texts: Sequence[str], embed, dimension: int, batch: int = 256):
    """Vectors for `texts` made without embedding each text: every distinct sentence (see `sentences`)
    of all the texts is embedded once by `embed(list_of_str) -> matrix`, and a text's vector is the
    L2-normalised mean of its sentences' vectors.  Returns (matrix, distinct sentences embedded)."""
    import numpy as np

    pieces = [sentences(text) or [text] for text in texts]
    distinct = list(dict.fromkeys(s for found in pieces for s in found))
    index = {s: i for i, s in enumerate(distinct)}
    vectors = np.zeros((len(distinct), dimension), dtype=np.float32)
    for start in range(0, len(distinct), batch):
        vectors[start : start + batch] = embed(distinct[start : start + batch])
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    for row, found in enumerate(pieces):
        mean = vectors[[index[s] for s in found]].mean(axis=0)
        out[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out, len(distinct)


def real_archive(settings: Settings) -> Archive:
    """The real archive `settings` names, opened from an index of its own under the benchmark's cache
    (built when missing or stale), so the served index is never touched."""
    real = replace(settings, index_dir=settings.cache_dir / "bench" / "real-index")
    if index_staleness(real) is not None:
        build(real, show_progress=False)
    return Archive.open(real)


def source_digest(real: Sequence[IssueView]) -> str:
    """A hash of what a synthetic archive is made from (the real issues as read), so that it is made
    again when they read differently, but not when only the index's schema changes."""
    return hashlib.sha256(json.dumps([view.to_json() for view in real], sort_keys=True).encode()).hexdigest()


def synthetic_settings(settings: Settings, name: str, passages: int, log: Callable[[str], None]) -> Settings:
    """Settings of the synthetic archive `name` (written on first use, from the real archive that
    `settings` names) and its index directory."""
    real = real_archive(settings)
    try:
        root = settings.cache_dir / "bench" / f"{name}-g{GENERATOR_VERSION}-{source_digest(real.issues())[:12]}"
        archive = root / "archive"
        if not (root / "archive.done").exists():
            shutil.rmtree(archive, ignore_errors=True)
            log(f"{name}: writing a synthetic archive of about {passages} passages into {archive}")
            files = write_synthetic_archive(real.issues(), archive, passages)
            (root / "archive.done").write_text(f"{files} issues\n", encoding="utf-8")
    finally:
        real.close()
    return replace(settings, archive_dir=archive, index_dir=root / "index")
