"""`scripts/archive`: build the index and search it from the command line.  Uses only index.facade.

Issue text is data from outside: what is printed for a person to read has its control characters
(terminal escape sequences, bell, backspace, bidirectional overrides) taken out, so a newsletter
issue cannot drive the terminal; --json output escapes them, and --csv is written as it is."""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from index.eval.beir import evaluate_beir
from index.eval.judged import evaluate_archive, format_table
from index.facade import (
    LIMITS,
    Archive,
    ArchiveError,
    Arrival,
    BadRequest,
    FigureQuery,
    Filters,
    Settings,
    add_files,
    build,
    index_staleness,
    parse_figure_bound,
    parse_filter_date,
    preview_files,
    write_csv,
)

SNIPPET_CHARS = 240
# Control characters that reach a terminal: C0 controls, DEL and the C1 controls (ESC and CSI among
# them), and the bidirectional embeddings, overrides and isolates that reorder what it shows.
_BEYOND_C0 = "\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_CONTROL_OUT = re.compile(f"[\x00-\x08\x0b-\x1f{_BEYOND_C0}]")  # tab and line feed kept
_CONTROL_ERR = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_BEYOND_C0}]")  # and \r: a progress bar redraws with it
_UNESCAPED_IN_JSON = re.compile(f"[{_BEYOND_C0}]")  # json.dumps escapes C0 itself


class TerminalText:
    """A text stream that drops the characters `pattern` matches from everything written to it."""

    def __init__(self, stream, pattern: re.Pattern[str]):
        self._stream, self._pattern = stream, pattern

    def write(self, text: str) -> int:
        return self._stream.write(self._pattern.sub("", text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextmanager
def terminal_output(raw_stdout: bool) -> Iterator[None]:
    """Inside, standard error and (unless `raw_stdout`: JSON, CSV) standard output lose control characters."""
    saved = sys.stdout, sys.stderr
    sys.stderr = TerminalText(sys.stderr, _CONTROL_ERR)
    if not raw_stdout:
        sys.stdout = TerminalText(sys.stdout, _CONTROL_OUT)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _json_text(data: object, **options) -> str:
    """JSON with every control character escaped (the same data, nothing a terminal obeys)."""
    return _UNESCAPED_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False, **options))


def _print_json(data: object) -> None:
    print(_json_text(data, indent=2))


def _k(value: str) -> int:
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= k <= LIMITS.max_k:
        raise argparse.ArgumentTypeError(f"must be between 1 and {LIMITS.max_k}")
    return k


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    if args.if_stale:
        reason = index_staleness(settings)
        if reason is None:
            print(f"index in {settings.index_dir} is up to date", file=sys.stderr)
            return 0
        print(f"building the index: {reason}", file=sys.stderr)
    report = build(settings, show_progress=not args.json and sys.stderr.isatty() or args.progress)
    if args.json:
        _print_json(report.to_json())
    else:
        print(f"built {report.generation.name}: {report.issues} newsletter issues, {report.passages} passages "
              f"({report.embedded} embedded, {report.passages - report.embedded} from the cache) "
              f"in {report.seconds['total']:.1f} s")
        _print_taken_over(report)
        for name, reason in report.skipped:
            print(f"  skipped {name}: {reason}")
    return 0


def _print_taken_over(report) -> None:
    """What the build took from the generation it replaced (see index.store.reuse)."""
    keyword, figures = report.updated.get("keyword"), report.updated.get("figures")
    if keyword:
        print(f"  keyword index updated: {keyword['removed']} passages removed, {keyword['added']} added, "
              f"{keyword['kept']} kept")
    elif any(name.startswith("keyword/") for name in report.reused):
        print("  keyword index and figures taken over unchanged")
    if figures and keyword:
        print(f"  figures read from the {figures['passages_read']} new or changed passages only "
              f"({figures['figures']} figures in all)")
    if report.served_first:
        print(f"  served first as {report.served_first.name}; then figure series grouped again "
              "(and the keyword index's segments merged where many)")


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(
        date_from=parse_filter_date(args.date_from, "--from") if args.date_from else None,
        date_to=parse_filter_date(args.date_to, "--to", end=True) if args.date_to else None,
        issue_ids=tuple(args.issue or ()),
        countries=tuple(c.strip().title() for c in args.country or ()),
        languages=tuple(code.strip().lower() for code in args.language or ()),
    )


def _print_hit(rank: int, hit) -> None:
    found = ", ".join(f"{mode} #{r}" for mode, r in hit.found_by.items())
    text = " ".join(hit.passage.text.split())
    kind = {True: "matches  ·  ", False: "related by meaning only  ·  ", None: ""}[hit.match]
    more = f"  ·  {hit.more_in_story} more from this story" if hit.more_in_story else ""
    print(f"{rank:>3}. {hit.passage.section_title}")
    print(f"     {hit.issue.label}  ·  {hit.passage.id}  ·  {kind}found by {found}  ·  score {hit.score:.4f}{more}")
    print(textwrap.indent(textwrap.fill(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""), 96), "     "))


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    archive = Archive.open(settings)
    result = archive.search(args.query, mode=args.mode, k=args.k, offset=args.offset, filters=_filters(args),
                            sort=args.sort, group=args.group)
    if args.json:
        _print_json(result.to_json())
        return 0
    if result.suggestion:
        print(f"did you mean: {result.suggestion}")
    if result.date_filter:
        offer = result.date_filter
        print(f"only issues of {offer.label}? scripts/archive search {offer.rest!r} --from {offer.date_from} --to {offer.date_to}")
    match, related = result.counts["match"], result.counts["related"]
    print(f"{match} passages match {args.query!r} ({args.mode})" if match else f"No passage matches {args.query!r}"
          + ("" if related or args.mode == "keyword" else ", and none is close to it in meaning")
          + ("" if related or args.mode != "keyword" else "; try other or fewer words, or --mode hybrid"))
    if related:
        print(f"{related} passages related by meaning only")
    if result.hits:
        unit = "stories" if args.group == "story" else "passages"
        print(f"showing {unit} {args.offset + 1}-{args.offset + len(result.hits)} of {result.results}, by {args.sort}")
    for rank, hit in enumerate(result.hits, start=args.offset + 1):
        _print_hit(rank, hit)
    return 0


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    hits = Archive.open(settings).similar(args.passage_id, k=args.k)
    if args.json:
        _print_json({"passage_id": args.passage_id, "hits": [hit.to_json() for hit in hits]})
        return 0
    for rank, hit in enumerate(hits, start=1):
        _print_hit(rank, hit)
    return 0


def cmd_issues(args: argparse.Namespace, settings: Settings) -> int:
    views = Archive.open(settings).issues()
    if args.json:
        _print_json([view.to_json(with_passages=False) for view in views])
        return 0
    for view in views:
        issue = view.issue
        origin = ", ".join(f"{field} {how}" for field, how in issue.provenance.items())
        print(f"{issue.date.iso if issue.date else 'undated':10}  {issue.title}")
        print(f"            {issue.source}  ({origin})")
        for section in view.sections:
            print(f"              {section.position:>2}. {section.title}{' (untitled)' if section.title_generated else ''}")
    return 0


def _arrival_json(arrival: Arrival) -> dict:
    figures = arrival.figures()
    data = {"file": arrival.target.name, "status": arrival.status}
    if arrival.parsed is None:
        return data
    parsed = arrival.parsed
    sections = [{**section.to_json(),
                 "passages": sum(p.section_id == section.id for p in parsed.passages),
                 "figures": sum(n for pid, n in figures.items() if pid.startswith(f"{section.id}-"))}
                for section in parsed.sections]
    return {**data, "issue": parsed.issue.to_json(), "sections": sections, "passages": len(parsed.passages),
            "figures": figures}


def _print_arrival(data: dict, archive_dir: Path) -> None:
    if data["status"] == "identical":
        print(f"{data['file']}: already in {archive_dir} (identical); nothing to do")
        return
    issue = data["issue"]
    how = issue["provenance"]
    date = f"{issue['date']} ({how['date']}, {issue['date_precision']} precision)" if issue["date"] else "unknown"
    counts = list(data["figures"].values())
    print(f"{'added' if data['status'] == 'new' else 'replaced'} {archive_dir / data['file']}")
    print(f"  issue     {issue['id']}: {issue['title']} (title {how['title']})")
    number = f"{issue['number']} ({how['number']})" if issue["number"] is not None else "unknown (not printed)"
    print(f"  number    {number}")
    print(f"  date      {date}")
    print(f"  sections  {len(data['sections'])}")
    for section in data["sections"]:
        untitled = " (untitled)" if section["title_generated"] else ""
        print(f"    {section['position']:>2}. {section['title']}{untitled}  "
              f"(passages {section['passages']}, figures {section['figures']})")
    print(f"  passages  {data['passages']}")
    print(f"  figures   {sum(counts)} numbers in {sum(n > 0 for n in counts)} of {len(counts)} passages")
    print(f"  to correct what was read: {archive_dir / 'catalog.toml'} [\"issues\".\"{data['file']}\"]")


def _print_preview(data: dict) -> None:
    """What `add --dry-run` read from one file (see index.preview)."""
    if data["status"] == "identical":
        print(f"{data['file']}: already in the archive (identical); nothing to do")
        return
    issue, how = data["issue"], data["issue"]["provenance"]
    print(f"{data['file']}: would be {'added as' if data['status'] == 'new' else 'replace'} {data['target']}")
    number = issue["number"] if issue["number"] is not None else "unknown"
    date = f"{issue['date']} ({issue['date_precision']} precision)" if issue["date"] else "unknown"
    print(f"  number    {number}  ({how['number']})")
    print(f"  date      {date}  ({how['date']})")
    if data["header"]:
        print(f"  header    printed in the {data['header']['where']}: {' '.join(data['header']['text'].split())!r}")
    print(f"  title     {issue['title']}  ({how['title']})")
    passages = [p for story in data["stories"] for p in story["passages"]]
    figures = sum(len(p["figures"]) for p in passages)
    print(f"  stories   {len(data['stories'])}, passages {len(passages)}, figures {figures}")
    for story in data["stories"]:
        generated = "  (title generated from its first words)" if story["title_generated"] else ""
        print(f"  {story['position']:>3}. {story['title']}{generated}")
        if story["countries"]:
            print(f"       about {', '.join(story['countries'])}")
        for passage in story["passages"]:
            page = f", p. {passage['page']}" if passage["page"] is not None else ""
            recurring = ", recurring boilerplate" if passage["recurring"] else ""
            language = f", in {dict(LIMITS.languages)[passage['language']]}" if passage["language"] != "en" else ""
            print(f"       passage {passage['id']}{page}{language}{recurring}:")
            print(textwrap.indent(textwrap.fill(" ".join(passage["text"].split()), 92), "         "))
            if passage["figures"]:
                found = "; ".join(f"{f['as_printed']} ({f['label'] or f['kind']})" for f in passage["figures"])
                print(textwrap.indent(textwrap.fill(f"figures: {found}", 92), "         "))
    print(f"  dropped   {len(data['dropped'])} pieces of page furniture or site chrome")
    for dropped in data["dropped"]:
        pages = dropped["pages"]
        where = f" (p. {pages[0]})" if len(pages) == 1 else f" (pp. {', '.join(map(str, pages))})" if pages else ""
        print(f"       {dropped['kind']}{where}: {' '.join(dropped['text'].split())[:110]}")


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    if args.dry_run:
        previews = preview_files([Path(name) for name in args.files], force=args.force, settings=settings)
        if args.json:
            _print_json({"dry_run": True, "files": previews})
            return 0
        print("dry run: nothing is copied, the archive and the index are unchanged")
        for data in previews:
            _print_preview(data)
        return 0
    report = add_files([Path(name) for name in args.files], force=args.force, settings=settings,
                       show_progress=not args.json and sys.stderr.isatty())
    arrivals = [_arrival_json(arrival) for arrival in report.arrivals]
    if args.json:
        _print_json({"files": arrivals, "build": report.build.to_json() if report.build else None})
        return 0
    for data in arrivals:
        _print_arrival(data, settings.archive_dir)
    if report.build is None:
        print("the index is up to date")
    else:
        build_report = report.build
        print(f"index: built {build_report.generation.name}: {build_report.issues} newsletter issues, "
              f"{build_report.passages} passages ({build_report.embedded} embedded, "
              f"{build_report.passages - build_report.embedded} from the cache) in {build_report.seconds['total']:.1f} s")
        _print_taken_over(build_report)
        for name, reason in build_report.skipped:
            print(f"  skipped {name}: {reason}")
    return 0


def _print_beir_table(result: dict, k: int) -> None:
    print(f"{result['collection']} ({result['split']} split, {result['queries']} queries)")
    print(f"{'mode':10}{f'nDCG@{k}':>10}{'Recall@100':>12}{f'MRR@{k}':>10}")
    for mode, scores in result["modes"].items():
        print(f"{mode:10}{scores[f'ndcg@{k}']:>10.3f}{scores['recall@100']:>12.3f}{scores[f'mrr@{k}']:>10.3f}")


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.queries) == bool(args.beir):
        raise BadRequest("give either --queries FILE (the archive's judged queries) or --beir DIR")
    if args.beir:
        result = evaluate_beir(Path(args.beir), args.split, args.k, settings,
                               Path(args.runs_out) if args.runs_out else None, show_progress=not args.json)
        if args.json:
            print(_json_text(result))
        else:
            _print_beir_table(result, args.k)
        return 0
    report = evaluate_archive(Archive.open(settings), Path(args.queries), k=args.k)
    if args.runs_out:
        Path(args.runs_out).write_text("".join(line + "\n" for line in report.runs_jsonl_lines()), encoding="utf-8")
    if args.json:
        print(_json_text(report.to_json()))
    else:
        print(format_table(report))
    return 0


def _figure_query(args: argparse.Namespace) -> FigureQuery:
    return FigureQuery(
        text=args.query, kind=args.kind, sort=args.sort, k=args.k, offset=args.offset, date_from=args.date_from,
        date_to=args.date_to,
        minimum=parse_figure_bound(args.min, "--min") if args.min is not None else None,
        maximum=parse_figure_bound(args.max, "--max") if args.max is not None else None,
    )


def _passage_link(settings: Settings, passage_id: str) -> str:
    """Where the site serves a passage: under ARCHIVE_PUBLIC_URL, else where `scripts/run` serves it
    (ARCHIVE_HOST, ARCHIVE_PORT)."""
    base = settings.public_url.rstrip("/") if settings.public_url else f"http://{settings.host}:{settings.port}"
    return f"{base}/passages/{quote(passage_id)}"


def _print_figures(result) -> None:
    if not result.figures:
        print(f"No figure matches {result.query!r}." if result.query else "No figure passes these filters.")
        return
    order = "date, newest first" if result.sort == "date" or not result.query else result.sort
    print(f"{result.total} figures{f' match {result.query!r}' if result.query else ''}, by {order}; "
          f"showing {result.offset + 1}-{result.offset + len(result.figures)}")
    for rank, figure in enumerate(result.figures, start=result.offset + 1):
        print(f"{rank:>3}. {figure.value_text:>12}  {figure.label or figure.kind}")
        print(f"     {figure.issue.label}  ·  {figure.passage_id}")
        print(textwrap.indent(textwrap.fill(figure.sentence, 96), "     "))
    for series in result.series:
        print(f"\nover time: {series.label} ({series.kind})")
        for point in series.points:
            print(f"     {point.date:<10} {point.value_text:>12}  {point.passage_id}  ({point.label})")


def cmd_figures(args: argparse.Namespace, settings: Settings) -> int:
    result = Archive.open(settings).search_figures(_figure_query(args))
    if args.json:
        _print_json(result.to_json())
    elif args.csv:
        write_csv(sys.stdout, result.csv_rows(lambda passage_id: _passage_link(settings, passage_id)))
    else:
        _print_figures(result)
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="scripts/archive", description="Search the newsletter archive.")
    sub = main.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build or refresh the index from archive/")
    p.add_argument("--if-stale", action="store_true", help="only when the index is missing or out of date")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("add", help="copy newsletter issue files (.pdf, .html, .docx, .txt, .md) into archive/ "
                                   "and update the index")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace a different file of the same name")
    p.add_argument("--dry-run", action="store_true",
                   help="show everything that would be added (stories, passages, figures, what was dropped); "
                        "copy nothing, touch no index")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_add)

    p = sub.add_parser("search", help="ranked passages for a query")
    p.add_argument("query")
    p.add_argument("--mode", choices=LIMITS.modes, default="hybrid")
    p.add_argument("--k", type=_k, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--sort", choices=LIMITS.sorts, default="relevance", help="by relevance, or by issue date")
    p.add_argument("--group", choices=LIMITS.groups, default="story",
                   help="story: one result per story (default); passage: every passage")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--country", action="append", help="repeatable")
    p.add_argument("--language", action="append", help="en or ru: passages written in it; repeatable")
    p.add_argument("--issue", action="append", help="newsletter issue id; repeatable")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("similar", help="related passages from other newsletter issues")
    p.add_argument("passage_id")
    p.add_argument("--k", type=_k, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_similar)

    p = sub.add_parser("issues", help="the newsletter issues and their sections")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_issues)

    p = sub.add_parser("figures", help="figures by what they count, and the quantities reported over time")
    p.add_argument("query", nargs="?", default="", help="what is counted; none: every figure, by date")
    p.add_argument("--min", metavar="N", help="smallest value")
    p.add_argument("--max", metavar="N", help="largest value")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--kind", choices=LIMITS.figure_kinds, help="only this kind; by default every kind but contact "
                                                               "(phone numbers, hotlines)")
    p.add_argument("--sort", choices=LIMITS.figure_sorts, default="relevance",
                   help="date: the figures for the query's label, newest first")
    p.add_argument("--k", type=_k, default=LIMITS.default_figures_k)
    p.add_argument("--offset", type=int, default=0, help="figures to skip, for paging")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true")
    output.add_argument("--csv", action="store_true", help="one row per figure; its url is where scripts/run serves it")
    p.set_defaults(run=cmd_figures)

    p = sub.add_parser("evaluate", help="score the search modes on judged queries or a BEIR collection")
    p.add_argument("--queries", metavar="FILE", help="judged queries of the archive (JSON lines)")
    p.add_argument("--beir", metavar="DIR", help="a collection in BEIR layout (indexed once, cached)")
    p.add_argument("--split", default="train", help="the qrels split of a BEIR collection")
    p.add_argument("--k", type=_k, default=10)
    p.add_argument("--runs-out", metavar="PATH", help="JSON lines file (--queries) or directory of TREC runs (--beir)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_evaluate)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with terminal_output(raw_stdout=getattr(args, "json", False) or getattr(args, "csv", False)):
        try:
            return args.run(args, Settings.from_env())
        except ArchiveError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
