"""Compare fusion settings on a BEIR collection's training split, from one pass of side rankings.

    .venv/bin/python -m scripts.tune_fusion ../shared/beir/scifact [--split train]

Prints nDCG@10, Recall@100 and MRR@10 for keyword, semantic, FTS5 and every fusion in the grid,
best hybrid first.  The archive's default fusion (index.search.fusion.DEFAULT_FUSION) is chosen from this.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from index.eval.beir import evaluate_beir, fusion_grid
from index.facade import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection")
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    result = evaluate_beir(Path(args.collection), args.split, settings=Settings.from_env(), fusions=fusion_grid())
    modes = result["modes"]
    print(f"{result['collection']} ({args.split} split, {result['queries']} queries)")
    print(f"{'mode':28}{'nDCG@10':>9}{'R@100':>8}{'MRR@10':>8}")
    for name in sorted(modes, key=lambda m: -modes[m]["ndcg@10"]):
        scores = modes[name]
        print(f"{name:28}{scores['ndcg@10']:>9.4f}{scores['recall@100']:>8.4f}{scores['mrr@10']:>8.4f}")


if __name__ == "__main__":
    main()
