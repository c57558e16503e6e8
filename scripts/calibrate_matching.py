"""Measure what a match is and when a passage that does not match is related by meaning, on the judged sets.

    .venv/bin/python -m scripts.calibrate_matching ../shared/eval/queries.jsonl ../shared/beir/scifact [--split train]

Prints, for each match rule, keyword and hybrid nDCG@10 and the share of matches judged relevant; and
for each related-by-meaning threshold, the share of judged relevant meaning-only passages kept and of
the others dropped, hybrid nDCG@10, and what probe queries show (index.eval.calibrate).  The archive's
MatchRule and RelatedThreshold (index.search.matching) are chosen from these tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from index.eval.calibrate import archive_set, beir_set, format_rows, rule_rows, threshold_rows
from index.facade import Archive, Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", help="the archive's judged queries (JSON lines)")
    parser.add_argument("collection", help="a BEIR collection directory")
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    settings = Settings.from_env()
    archive = Archive.open(settings)
    sets = [archive_set(archive, Path(args.queries)), beir_set(Path(args.collection), settings, args.split)]
    print("match rules (hybrid at the archive's related-by-meaning threshold)")
    print(format_rows(rule_rows(sets)))
    print("\nrelated-by-meaning thresholds (at the archive's match rule); probes: passages shown as related")
    print(format_rows(threshold_rows(sets, archive)))


if __name__ == "__main__":
    main()
