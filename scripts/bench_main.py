"""`scripts/bench`: build throughput, query latency, serving throughput and memory, adding an issue, in one run.

    scripts/bench [--scale small|25k|100k|all] [--json] [--quick]

Scales: `small` is the real archive (archive/, or ARCHIVE_DIR); `25k` and `100k` are synthetic
archives of about that many passages made from the real one's sentences (bench.synthetic says
exactly how).  Synthetic archives, their indexes and their vectors live outside the repository, in
ARCHIVE_CACHE_DIR (default ~/.cache/newsletter-archive)/bench/, and are made once and reused.

Vectors of a synthetic archive are approximated from its sentences' vectors and put into that
scale's vector cache, so the real build finds them there (bench.prefill says how).  The cold
embedding rate of a synthetic scale is measured on a sample of its passages.

The server is started as scripts/run starts it (a process per core; scripts/bench_server.py), its
memory summed over all its processes.  With the server running, one new issue of about 50 passages
(bench.synthetic.write_added_issue) is added with `scripts/archive add` and timed until the server
serves it, then removed again, so the archive stays as it was (the small scale works on a copy).

Everything that is timed runs in this process or in processes this run starts; nothing is
asserted (tests/test_bench.py only checks that every figure is reported).  Timings are medians or
percentiles over the run; on a shared machine they move from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from bench.approximate import embedding_rate, embedding_rates, prefill_vectors
from bench.synthetic import real_archive, synthetic_settings, write_added_issue
from index.eval.fts5 import Fts5Baseline
from index.facade import Archive, Settings, build, index_staleness
from scripts.bench_server import ADDED_ISSUE_FILE, percentile, serve_scale

ROOT = Path(__file__).resolve().parent.parent

SCALES = {"small": None, "25k": 25_000, "100k": 100_000}

# A fixed, mixed query set: short keyword queries, figures, phrases, NOT, questions in plain words,
# and long OR queries of common words (the keyword side's worst case).
QUERIES = (
    "RING training",
    "hotline",
    "7801",
    "3120 stranded migrants",
    "Tajikistan",
    "COVID-19 registered cases",
    '"voluntary return"',
    "migrants NOT Kazakhstan",
    "border management Kyrgyzstan",
    "International Migrants Day",
    "Almaty Process",
    "АЛМАТИНСКИЙ ПРОЦЕСС",
    "training courses for civil servants on return migration",
    "how many vulnerable migrants received assistance to return home",
    "support for victims of trafficking in Central Asia",
    "what did IOM do for stranded migrants during the pandemic",
    "labour migration and remittances in Uzbekistan",
    "psychosocial support for returning migrants and their families",
    "(water OR sanitation) AND schools",
    "IOM Central Asia migrants migration assistance return Kazakhstan Kyrgyzstan Tajikistan Uzbekistan COVID-19",
    "the government and the international organization for migration held a meeting with partners in the region",
    "health",
    "personal protective equipment delivered to border crossing points",
    "2,5 million",
)


# --- helpers -------------------------------------------------------------------------------------

def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import onnxruntime
    import psutil

    return {
        "command": " ".join(["scripts/bench", *sys.argv[1:]]),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "numpy": np.__version__,
        "onnxruntime": onnxruntime.__version__,
        "embedding_backend": Settings.from_env().embedding_backend,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- embedding throughput ------------------------------------------------------------------------

# --- scales --------------------------------------------------------------------------------------

def stage_rates(report) -> dict:
    """Passages per second of each stage of a build's BuildReport."""
    seconds = report.seconds
    rate = lambda stage: round(report.passages / seconds[stage], 1) if seconds.get(stage) else None  # noqa: E731
    taken_over = any(name.startswith("keyword/") for name in report.reused)
    return {"parse_per_s": rate("parse"), "keyword_per_s": None if taken_over else rate("keyword"),
            "embed_per_s": rate("embed"), "embedded": report.embedded, "reused": report.reused,
            "seconds": {k: round(v, 3) for k, v in seconds.items()}}


def _clear_index(index_dir: Path, synthetic: bool) -> None:
    """Make the next build cold: no generation to take over, no parsed files.  A synthetic scale keeps
    its cache directory (the prefilled vectors), less the parse cache (index.store.generations's layout)."""
    if not synthetic or not index_dir.is_dir():
        shutil.rmtree(index_dir, ignore_errors=True)
        return
    for path in index_dir.iterdir():
        if path.is_dir() and path.name != "cache":
            shutil.rmtree(path)
        elif not path.is_dir():
            path.unlink()
    shutil.rmtree(index_dir / "cache" / "parsed", ignore_errors=True)


def build_scale(settings: Settings, synthetic: bool, sample_rate) -> dict:
    """Cold build, then a build with nothing changed, then the staleness check.

    A synthetic scale's cold build finds its vectors in the prefilled cache, so its cold total is
    that build's plus the time to embed every passage at the rate measured on a sample."""
    result: dict = {}
    _clear_index(settings.index_dir, synthetic)
    log(f"building {settings.archive_dir} (cold)")
    cold = build(settings, show_progress=False)
    result["passages"] = cold.passages
    result["cold"] = stage_rates(cold)
    cold_total = cold.seconds["total"]
    if synthetic:
        archive = Archive.open(settings)
        try:
            corpus_texts = [p.embedding_text for p in archive.passages]
        finally:
            archive.close()
        rate, result["cold"]["embed_sample"] = sample_rate(corpus_texts)
        result["cold"]["embed_per_s"] = rate
        cold_total += cold.passages / rate
        result["cold"]["seconds"]["total"] = round(cold_total, 3)
        result["cold"]["estimated"] = True
    log("building again, nothing changed")
    unchanged = build(settings, show_progress=False)
    result["unchanged"] = stage_rates(unchanged)
    result["cold_over_unchanged"] = round(cold_total / unchanged.seconds["total"], 1)
    started = time.perf_counter()
    reason = index_staleness(settings)
    result["unchanged"]["if_stale_check_s"] = round(time.perf_counter() - started, 3)
    result["unchanged"]["stale"] = reason
    return result


def query_latency(settings: Settings, rounds: int) -> dict:
    """p50/p95 per mode of Archive.search (k=10, as the API asks) over QUERIES, and of FTS5 bm25; with
    numpy's BLAS on one thread, as in the server's processes (scripts/serve.py)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _query_latency(settings, rounds)


def _query_latency(settings: Settings, rounds: int) -> dict:
    archive = Archive.open(settings)
    try:
        archive.warm_model()
        modes = ("keyword", "semantic", "hybrid")
        for query in QUERIES:  # warm-up: caches, first-call costs
            for mode in modes:
                archive.search(query, mode=mode, k=10)
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        for _ in range(rounds):
            for query in QUERIES:
                for mode in modes:
                    started = time.perf_counter()
                    archive.search(query, mode=mode, k=10)
                    times[mode].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        baseline = Fts5Baseline(archive.passages)
        fts5_build_s = time.perf_counter() - started
        times["fts5"] = []
        for query in QUERIES:
            baseline.search(query, 10)
        for _ in range(rounds):
            for query in QUERIES:
                started = time.perf_counter()
                baseline.search(query, 10)
                times["fts5"].append((time.perf_counter() - started) * 1000)
        latency = {mode: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)}
                   for mode, v in times.items()}
        slowest = {mode: max(zip(v, QUERIES * rounds))[1] for mode, v in times.items()}
        return {"latency_ms": latency, "slowest_query": slowest, "fts5_build_s": round(fts5_build_s, 2),
                "queries": len(QUERIES), "rounds": rounds}
    finally:
        archive.close()


# --- the table -----------------------------------------------------------------------------------

def format_report(result: dict) -> str:
    m = result["machine"]
    e = result["embedding"]
    lines = [f"command: {m['command']}",
             f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['platform']}, Python {m['python']}, "
             f"load average at start {m['load_average']}",
             f"started: {m['started']}",
             "",
             f"embedding ({e['texts']} passages, {e['mean_words']} words on average, median of {e['rounds']} rounds): "
             f"sentence-transformers/PyTorch fp32 {e['baseline_per_s']}/s, {e['backend']} {e['chosen_per_s']}/s "
             f"({e['chosen_per_s'] / e['baseline_per_s']:.2f}x)", ""]
    names = list(result["scales"])
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, get) -> None:
        values = []
        for name in names:
            try:
                value = get(result["scales"][name])
            except (KeyError, TypeError):
                value = None
            values.append("-" if value is None else (f"{value:,.1f}" if isinstance(value, float) else str(value)))
        rows.append((label, values))

    row("passages", lambda s: f"{s['passages']:,}")
    for phase in ("cold", "unchanged"):
        row(f"build {phase}: parse /s", lambda s, p=phase: s["build"][p]["parse_per_s"])
        row(f"build {phase}: keyword index /s", lambda s, p=phase: s["build"][p]["keyword_per_s"])
        row(f"build {phase}: embed /s", lambda s, p=phase: s["build"][p]["embed_per_s"])
        row(f"build {phase}: total s", lambda s, p=phase: f"{s['build'][p]['seconds']['total']:,.2f}")
    row("build cold / unchanged (x)", lambda s: s["build"]["cold_over_unchanged"])
    row("build unchanged: --if-stale check s", lambda s: s["build"]["unchanged"]["if_stale_check_s"])
    for mode in ("keyword", "semantic", "hybrid", "fts5"):
        row(f"latency {mode} p50 / p95 ms", lambda s, m=mode: f"{s['latency_ms'][m]['p50']:.1f} / {s['latency_ms'][m]['p95']:.1f}")
    row("keyword / fts5 latency (p50, p95)", lambda s: "{:.1f}x, {:.1f}x".format(
        *(s["latency_ms"]["keyword"][p] / max(s["latency_ms"]["fts5"][p], 1e-6) for p in ("p50", "p95"))))
    row("hybrid / fts5 latency (p50, p95)", lambda s: "{:.1f}x, {:.1f}x".format(
        *(s["latency_ms"]["hybrid"][p] / max(s["latency_ms"]["fts5"][p], 1e-6) for p in ("p50", "p95"))))
    row("server: first answer s (keyword)", lambda s: s["server"]["start_s"])
    row("server: first hybrid answer s", lambda s: s["server"]["start_hybrid_s"])
    for clients in ("1", "4", "16"):
        row(f"server: {clients:>2} clients rps / p95 ms / errors",
            lambda s, c=clients: f"{s['server']['clients'][c]['rps']:.1f} / {s['server']['clients'][c]['p95_ms']:.1f} / {s['server']['clients'][c]['errors']}")
    row("server: processes serving", lambda s: s["server"]["workers"])
    row("server: memory MB, all processes (peak)", lambda s: f"{s['server']['rss_mb']:,.1f} {s['server']['rss_measure']}")
    row("add one issue: served after s", lambda s: s["add_one_issue_s"])
    row("add one issue: command s", lambda s: s["add"]["add_command_s"])
    row("remove it again: served after s", lambda s: s["add"]["remove_one_issue_s"])
    width = max(len(label) for label, _ in rows) + 2
    widths = [max(len(name), *(len(values[i]) for _, values in rows)) + 2 for i, name in enumerate(names)]
    lines.append("".ljust(width) + "".join(name.rjust(w) for name, w in zip(names, widths)))
    for label, values in rows:
        lines.append(label.ljust(width) + "".join(v.rjust(w) for v, w in zip(values, widths)))
    notes = [f"{name}: {note}" for name, s in result["scales"].items() for note in s.get("notes", [])]
    return "\n".join(lines + ([""] + notes if notes else []))


# --- main ----------------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    main.add_argument("--scale", choices=[*SCALES, "all"], default="small")
    main.add_argument("--json", action="store_true", help="also print the results as one JSON object, last")
    main.add_argument("--quick", action="store_true", help="few texts, queries rounds and requests (for tests)")
    main.add_argument("--requests", type=int, help="requests per concurrency level (default 200, --quick 16)")
    return main


def passage_texts(settings: Settings) -> list[str]:
    """What the model reads for each passage of the real archive."""
    archive = real_archive(settings)
    try:
        return [p.embedding_text for p in archive.passages]
    finally:
        archive.close()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    scales = list(SCALES) if args.scale == "all" else [args.scale]
    rounds = 1 if args.quick else 3
    requests = args.requests or (16 if args.quick else 200)
    result = {"machine": machine(), "scales": {}}

    texts = passage_texts(settings)
    sample = (texts * (1 + 128 // max(1, len(texts))))[: 24 if args.quick else 128]
    log(f"embedding throughput: {len(sample)} passages, torch vs {settings.embedding_backend}")
    result["embedding"] = embedding_rates(settings, sample, 1 if args.quick else 3)

    def sample_rate(corpus_texts: list[str]) -> tuple[float, int]:
        picked = corpus_texts[:: max(1, len(corpus_texts) // (24 if args.quick else 256))]
        return round(embedding_rate(settings, picked), 1), len(picked)

    def added_issue(path: Path) -> str:
        real = real_archive(settings)
        try:
            return write_added_issue(real.issues(), path)
        finally:
            real.close()

    temporary = Path(tempfile.mkdtemp(prefix="bench-small-"))
    try:
        for name in scales:
            notes = []
            if SCALES[name] is None:  # a copy, for the issue the benchmark adds
                archive_copy = shutil.copytree(settings.archive_dir, temporary / "archive")
                scale = replace(settings, archive_dir=archive_copy, index_dir=temporary / "index")
                notes.append(f"the real archive {settings.archive_dir}, copied and indexed into a new temporary directory")
            else:
                scale = synthetic_settings(settings, name, SCALES[name], log)
                (scale.archive_dir / ADDED_ISSUE_FILE).unlink(missing_ok=True)  # left by an interrupted run
                prefill = prefill_vectors(scale, log)
                notes.append(f"synthetic archive {scale.archive_dir}; vectors approximated from "
                             f"{prefill['sentences_embedded']} embedded sentences for {prefill['texts']} texts "
                             f"(cached in {scale.index_dir / 'cache'}); cold embed rate measured on a sample")
            log(f"{name}: build")
            entry: dict = {"build": build_scale(scale, SCALES[name] is not None, sample_rate)}
            entry["passages"] = entry["build"].pop("passages")
            log(f"{name}: query latency over {len(QUERIES)} queries x {rounds} rounds")
            latency = query_latency(scale, rounds)
            entry["latency_ms"] = latency.pop("latency_ms")
            entry["latency_detail"] = latency
            log(f"{name}: server, {requests} hybrid requests at 1, 4, 16 clients; then one issue added and removed")
            entry["server"] = serve_scale(scale, requests, QUERIES, added_issue)
            entry["add"] = entry["server"].pop("add")
            entry["add_one_issue_s"] = entry["add"].pop("add_one_issue_s")
            notes.append(f"add one issue: {entry['add']['passages'] - entry['passages']} passages, scripts/archive add "
                         "timed until the server answered for the new issue; then the file removed and built again")
            entry["notes"] = notes
            result["scales"][name] = entry
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    print(format_report(result))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
