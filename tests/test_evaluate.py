"""The metrics of eval/README.md on hand-made ranked lists; every expected figure is worked out by hand.

log2 values used below: log2(2) = 1, log2(3) = 1.5849625, log2(4) = 2, log2(12) = 3.5849625.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from index.errors import BadRequest
from index.eval.judged import (
    JudgedQuery,
    Report,
    Scores,
    Target,
    evaluate,
    format_table,
    load_queries,
    normalise,
    score,
)

REAL_QUERIES = Path("/work/shared/eval/queries.jsonl")


def assert_scores(actual: Scores, ndcg: float, recall: float, mrr: float) -> None:
    assert actual.ndcg == pytest.approx(ndcg, abs=1e-6)
    assert actual.recall == pytest.approx(recall, abs=1e-6)
    assert actual.mrr == pytest.approx(mrr, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("**7,801**", "7,801"),
        ("members of the \u201cUmed\u201d network", 'members of the "umed" network'),
        ("\u201eQuoted\u201d", '"quoted"'),
        ("IOM\u2019s \u2018pilot\u2019", "iom's 'pilot'"),
        ("2020\u20132022", "2020-2022"),  # en dash
        ("returns\u2014mostly", "returns-mostly"),  # em dash
        ("## Heading", "heading"),
        ("`code` snake\\_case", "code snakecase"),
        ("a \n\t  b\u00a0c", "a b c"),  # newline, tab, run of spaces, no-break space
        ("\uff17\uff18\uff10\uff11", "7801"),  # full-width digits, folded by NFKC
        ("\ufb01nancial", "financial"),  # the "fi" ligature, folded by NFKC
        ("\u0410\u041b\u041c\u0410\u0422\u042b", "\u0430\u043b\u043c\u0430\u0442\u044b"),  # АЛМАТЫ
        ("  padded  ", "padded"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_bold_figure_is_hit_by_plain_phrase() -> None:
    scores = score(["Returned migrants: **7,801** in total"], [Target("7,801", 2)])
    assert scores.recall == 1.0


def test_curly_quoted_phrase_is_hit_by_straight_quoted_text() -> None:
    target = Target("members of the \u201cUmed\u201d network", 2)
    assert score(['Members of the "Umed" network met.'], [target]).recall == 1.0


def test_en_dash_in_text_is_hit_by_hyphenated_phrase() -> None:
    target = Target("Turkmenistan National action plan (NAP) 2020-2022", 2)
    text = "the Turkmenistan National Action Plan (NAP) 2020\u20132022 was adopted"
    assert score([text], [target]).recall == 1.0


def test_a_number_broken_by_a_space_is_not_the_same_phrase() -> None:
    # Normalisation keeps the space (collapsed to one): "330, 528" does not contain "330,528".
    assert score(["330, 528 people"], [Target("330,528", 2)]).recall == 0.0


# ---------------------------------------------------------------------------------------------
# score


def test_grade_two_at_rank_two_below_grade_one_at_rank_one() -> None:
    targets = [Target("alpha", 2), Target("beta", 1), Target("gamma", 1)]
    ranked = ["beta story", "alpha story", "nothing here"]
    # DCG  = (2^1-1)/log2(2) + (2^2-1)/log2(3) = 1 + 3/1.5849625 = 1 + 1.8927893 = 2.8927893
    # IDCG = grades 2,1,1 at ranks 1,2,3 = 3/1 + 1/1.5849625 + 1/2 = 3 + 0.6309298 + 0.5 = 4.1309298
    # nDCG = 2.8927893 / 4.1309298 = 0.7002756; recall = 2 of 3; first hit at rank 1
    assert_scores(score(ranked, targets), 0.7002756, 2 / 3, 1.0)


def test_target_is_credited_once() -> None:
    ranked = ["alpha one", "alpha two", "alpha three"]
    # Only rank 1 gains: DCG = 3/1 = 3 = IDCG.  Crediting the repeats would push nDCG past 1.
    assert_scores(score(ranked, [Target("alpha", 2)]), 1.0, 1.0, 1.0)


def test_passage_hitting_two_targets_takes_highest_grade_and_credits_both() -> None:
    targets = [Target("alpha", 2), Target("beta", 1)]
    ranked = ["nothing", "alpha and beta", "beta again"]
    # Rank 2 credits both with gain 2; rank 3's beta is already credited, gain 0.
    # DCG  = 3/log2(3) = 1.8927893
    # IDCG = 3/1 + 1/log2(3) = 3.6309298
    # nDCG = 1.8927893 / 3.6309298 = 0.5212960; recall 2/2; MRR 1/2
    assert_scores(score(ranked, targets), 0.5212960, 1.0, 0.5)


def test_grade_is_taken_among_uncredited_targets_only() -> None:
    targets = [Target("alpha", 1), Target("beta", 2)]
    ranked = ["beta", "alpha and beta"]
    # Rank 1 credits beta: 3/1 = 3.  Rank 2 credits only alpha (beta is taken): 1/log2(3) = 0.6309298.
    # DCG = 3.6309298 = IDCG (grades 2,1), so nDCG = 1.  Taking beta's grade 2 again would exceed 1.
    assert_scores(score(ranked, targets), 1.0, 1.0, 1.0)


def test_no_hits_scores_zero() -> None:
    assert score(["unrelated", "also unrelated"], [Target("alpha", 2)]) == Scores(0.0, 0.0, 0.0)


def test_empty_ranking_scores_zero() -> None:
    assert score([], [Target("alpha", 2)]) == Scores(0.0, 0.0, 0.0)


def test_hits_below_k_do_not_count() -> None:
    ranked = [f"filler {i}" for i in range(10)] + ["alpha at rank 11"]
    assert score(ranked, [Target("alpha", 2)], k=10) == Scores(0.0, 0.0, 0.0)
    # With k = 11: DCG = 3/log2(12) = 3/3.5849625, IDCG = 3, nDCG = 1/3.5849625 = 0.2789429;
    # MRR = 1/11 = 0.0909091
    assert_scores(score(ranked, [Target("alpha", 2)], k=11), 0.2789429, 1.0, 0.0909091)


def test_ideal_dcg_is_cut_at_k() -> None:
    targets = [Target("alpha", 2), Target("beta", 2), Target("gamma", 2)]
    # k = 2: IDCG counts two grade-2 targets only = 3/1 + 3/log2(3); DCG is the same: nDCG = 1.
    # Recall still counts all three targets: 2/3.
    assert_scores(score(["alpha", "beta", "gamma"], targets, k=2), 1.0, 2 / 3, 1.0)


def test_mrr_is_rank_of_first_hit_of_any_grade() -> None:
    targets = [Target("alpha", 2), Target("beta", 1)]
    ranked = ["x", "y", "beta", "alpha"]
    # DCG  = 1/log2(4) + 3/log2(5) = 0.5 + 3/2.3219281 = 0.5 + 1.2920297 = 1.7920297
    # IDCG = 3/1 + 1/log2(3) = 3.6309298; nDCG = 0.4935457; MRR = 1/3
    assert_scores(score(ranked, targets), 0.4935457, 1.0, 1 / 3)


def test_score_refuses_no_targets_and_bad_k() -> None:
    with pytest.raises(ValueError):
        score(["alpha"], [])
    with pytest.raises(ValueError):
        score(["alpha"], [Target("alpha", 2)], k=0)


# ---------------------------------------------------------------------------------------------
# load_queries


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD_LINE = '{"id": "q1", "kind": "figure", "query": "7801", "relevant": [{"contains": "7,801", "grade": 2}]}'


def test_load_queries_reads_fields_and_skips_blank_lines(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "q.jsonl", GOOD_LINE, "", GOOD_LINE.replace('"q1"', '"q2"'))
    queries = load_queries(path)
    assert queries == [
        JudgedQuery("q1", "figure", "7801", (Target("7,801", 2),)),
        JudgedQuery("q2", "figure", "7801", (Target("7,801", 2),)),
    ]


def test_load_queries_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="nope.jsonl"):
        load_queries(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "line 2"),
        ("[1, 2]", "line 2: expected a JSON object"),
        ('{"id": "q2", "query": "x", "relevant": [{"contains": "a", "grade": 1}]}', "line 2: missing field 'kind'"),
        ('{"id": "q2", "kind": "figure", "query": "x"}', "line 2: missing field 'relevant'"),
        ('{"id": "q2", "kind": "figure", "query": "x", "relevant": []}', "line 2: 'relevant' lists no targets"),
        ('{"id": "q2", "kind": "figure", "query": "x", "relevant": [{"contains": "a"}]}', "line 2: missing field 'grade'"),
        ('{"id": "q2", "kind": "figure", "query": "x", "relevant": [{"contains": "a", "grade": "2"}]}', "line 2: field 'grade'"),
        ('{"id": "q2", "kind": "figure", "query": 7, "relevant": [{"contains": "a", "grade": 2}]}', "line 2: field 'query'"),
        ('{"id": "q2", "kind": "figure", "query": "x", "relevant": [{"contains": "**", "grade": 2}]}', "line 2: a target phrase is empty"),
        (GOOD_LINE, "line 2: query id 'q1' is used twice"),
    ],
)
def test_load_queries_names_file_and_line_of_a_bad_line(tmp_path: Path, bad_line: str, message: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", GOOD_LINE, bad_line)
    with pytest.raises(BadRequest) as raised:
        load_queries(path)
    assert "bad.jsonl" in str(raised.value)
    assert message in str(raised.value)


def test_load_queries_refuses_an_empty_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "empty.jsonl", "")
    with pytest.raises(BadRequest, match="no judged queries"):
        load_queries(path)


def test_real_queries_load() -> None:
    queries = load_queries(REAL_QUERIES)
    assert len(queries) == 14
    by_id = {query.id: query for query in queries}
    assert by_id["p09"] == JudgedQuery("p09", "figure", "7801", (Target("7,801", 2),))
    assert list(dict.fromkeys(query.kind for query in queries)) == ["activity", "figure", "paraphrase"]


# ---------------------------------------------------------------------------------------------
# evaluate, Report, format_table

PASSAGES = {"p-alpha": "the alpha story", "p-figure": "**7,801** returned", "p-other": "unrelated"}
QUERIES = [
    JudgedQuery("q1", "activity", "alpha", (Target("alpha", 2),)),
    JudgedQuery("q2", "figure", "7801", (Target("7,801", 2),)),
]


def perfect_ranker(query: str, k: int) -> list[tuple[str, str]]:
    best = "p-alpha" if query == "alpha" else "p-figure"
    return [(best, PASSAGES[best]), ("p-other", PASSAGES["p-other"])]


def late_ranker(query: str, k: int) -> list[tuple[str, str]]:
    """Finds alpha at rank 2, never finds the figure."""
    if query == "alpha":
        return [("p-other", PASSAGES["p-other"]), ("p-alpha", PASSAGES["p-alpha"])]
    return []


def report() -> Report:
    return evaluate(QUERIES, {"perfect": perfect_ranker, "late": late_ranker}, k=10)


def test_evaluate_means_per_mode_and_kind() -> None:
    result = report()
    # perfect: both queries hit at rank 1 -> 1, 1, 1
    assert result.scores("perfect") == Scores(1.0, 1.0, 1.0)
    # late, q1: nDCG = (3/log2(3)) / 3 = 1/1.5849625 = 0.6309298, recall 1, MRR 1/2
    # late, q2: 0, 0, 0.   Means: nDCG 0.3154649, recall 0.5, MRR 0.25
    assert_scores(result.scores("late"), 0.3154649, 0.5, 0.25)
    assert_scores(result.scores("late", "activity"), 0.6309298, 1.0, 0.5)
    assert result.scores("late", "figure") == Scores(0.0, 0.0, 0.0)
    assert [(row.mode, row.group, row.queries) for row in result.rows] == [
        ("perfect", "overall", 2),
        ("perfect", "activity", 1),
        ("perfect", "figure", 1),
        ("late", "overall", 2),
        ("late", "activity", 1),
        ("late", "figure", 1),
    ]


def test_evaluate_passes_k_and_cuts_what_a_ranker_returns_at_k() -> None:
    seen_k: list[int] = []

    def flooding_ranker(query: str, k: int) -> list[tuple[str, str]]:
        seen_k.append(k)
        return [(f"p{i}", "unrelated") for i in range(5)] + [("p-alpha", "alpha")]

    result = evaluate(QUERIES[:1], {"flood": flooding_ranker}, k=3)
    assert seen_k == [3]
    assert len(result.runs[0].hits) == 3
    assert result.scores("flood") == Scores(0.0, 0.0, 0.0)  # alpha came at rank 6, past k = 3


def test_report_to_json() -> None:
    as_json = report().to_json()
    assert as_json["k"] == 10
    assert list(as_json["modes"]) == ["perfect", "late"]
    assert list(as_json["modes"]["late"]) == ["overall", "activity", "figure"]
    assert as_json["modes"]["late"]["activity"] == pytest.approx(
        {"ndcg": 0.6309298, "recall": 1.0, "mrr": 0.5, "queries": 1}, abs=1e-6
    )
    json.dumps(as_json)  # serialisable


def test_runs_jsonl_lines() -> None:
    lines = [json.loads(line) for line in report().runs_jsonl_lines()]
    assert len(lines) == 4  # 2 modes x 2 queries
    assert lines[0] == {
        "id": "q1",
        "mode": "perfect",
        "hits": [
            {"passage_id": "p-alpha", "text": "the alpha story"},
            {"passage_id": "p-other", "text": "unrelated"},
        ],
    }
    assert {"id": "q2", "mode": "late", "hits": []} in lines


def test_format_table() -> None:
    lines = format_table(report()).splitlines()
    assert len(lines) == 1 + 6  # header and 2 modes x (overall + 2 kinds)
    assert lines[0].split() == ["mode", "kind", "nDCG@10", "Recall@10", "MRR@10", "queries"]
    assert lines[4].split() == ["late", "overall", "0.315", "0.500", "0.250", "2"]
    assert lines[5].split() == ["late", "activity", "0.631", "1.000", "0.500", "1"]
    assert len({len(line) for line in lines}) == 1  # every line padded to the same columns
    figures_end = lines[0].index("nDCG@10") + len("nDCG@10")  # figures are right-aligned
    assert all(re.fullmatch(r"\d\.\d{3}", line[figures_end - 5 : figures_end]) for line in lines[1:])
