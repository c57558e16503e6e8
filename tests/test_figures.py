"""Figure extraction: the hand-read truth of the five issues, each printed form, and what is not a figure.

CORPUS_FIGURES was written by reading the issues line by line, not by running the code: it is the
test's truth.  Run `pytest -s tests/test_figures.py` to see the recall and precision printed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import FrozenInstanceError

import pytest

from index.config import ROOT
from index.figures.extract import FigureMention, extract_figures, numbers_in
from index.ingest.catalog import load_catalog
from index.ingest.reader import read_issue
from index.text.numbers import join_number_groups

ARCHIVE = ROOT / "archive"
F0 = "000_01b647a0f58beec8.txt"  # November 2020, no header
F1 = "001_246ca7c614daeaee.txt"  # Issue 9, 24/12/2020
F2 = "002_44f630649352dfb2.txt"  # Issue №3, 10 July 2020
F3 = "003_831dd773c1231ba4.txt"  # November 2021, no header: dates, years, SDG targets, no figures
F4 = "004_b65f6fdd4f2a120b.txt"  # August 2022, no header
ISSUES = (F0, F1, F2, F3, F4)

HOTLINES = [("11616", 11616, "contact"), ("1899", 1899, "contact"), ("+992900800800", 992900800800, "contact")]

# Every figure of the issues' story text: (file, as printed, value, kind).
CORPUS_FIGURES = [
    (F0, "3120", 3120, "count"),  # stranded vulnerable migrants (printed **3120**)
    (F0, "330, 528", 330528, "count"),  # registered cases
    (F0, "4,378", 4378, "count"),  # deaths
    (F0, "7,801", 7801, "count"),  # victims of trafficking and vulnerable migrants
    (F0, "18", 18, "count"),  # "In November 2020 18 vulnerable migrants"
    (F0, "23", 23, "count"),  # "the 23 / objectives of the GCM", broken over a page
    (F0, "1-2 hours", 1, "duration"),  # sessions lasting 1-2 hours: a range, read by its lower bound
    (F0, "16-Days", 16, "duration"),  # the 16-Days of Activism campaign
    *[(F0, *hotline) for hotline in HOTLINES],
    (F1, "5,177", 5177, "count"),  # migrants and their family members
    (F1, "103", 103, "count"),  # "one of 103 states"
    (F1, "700,000", 700000, "count"),  # more than 700,000 of Kyrgyzstan's citizens work abroad
    (F1, "6.3 million", 6300000, "count"),  # Kyrgyzstan's citizens
    (F1, "1131 (m691/f440)", 1131, "count"),  # people covered
    (F1, "1500", 1500, "count"),  # leaflets
    (F1, "2,5 million", 2500000, "count"),  # audience
    (F1, "100", 100, "count"),  # representatives at the forum
    *[(F1, *hotline) for hotline in HOTLINES],
    (F2, "3186", 3186, "count"),  # vulnerable migrants
    (F2, "76,698", 76698, "count"),  # COVID-19 overview: Registered
    (F2, "30,759", 30759, "count"),  # Recovered
    (F2, "470", 470, "count"),  # Deaths
    (F2, "100", 100, "count"),  # high-level participants
    (F2, "16", 16, "count"),  # national ministries
    (F2, "560,000", 560000, "count"),  # people reached
    *[(F2, *hotline) for hotline in HOTLINES],
    (F4, "1,200", 1200, "count"),  # individuals (printed **1,200 individuals**)
    (F4, "10", 10, "count"),  # specialists, right after "23-25 August 2022"
    (F4, "3 days", 3, "duration"),  # ToT
    (F4, "300", 300, "count"),  # staff, right after "the 2022,"
    (F4, "79", 79, "count"),  # staff trained May-July 2022
    (F4, "36", 36, "count"),  # participants
]

# Printed in a photo caption, which the parser keeps out of passages (so out of recall and precision).
CAPTION_FIGURES = [(F2, "92 years old", 92, "duration")]  # "the eldest is 92 years old"


def only(text: str, as_printed: str) -> FigureMention:
    """The one figure of `text` printed as `as_printed`."""
    found = [figure for figure in extract_figures(text) if figure.as_printed == as_printed]
    assert len(found) == 1, f"{as_printed!r} in {[f.as_printed for f in extract_figures(text)]}"
    return found[0]


def summary(text: str) -> list[tuple[str, float, str]]:
    return [(figure.as_printed, figure.value, figure.kind) for figure in extract_figures(text)]


@pytest.fixture(scope="module")
def corpus_mentions() -> list[tuple[str, str, FigureMention]]:
    """(file, passage text, mention) for every mention found in the parsed corpus."""
    catalog = load_catalog(ARCHIVE)
    return [(name, passage.text, mention)
            for name in ISSUES
            for passage in read_issue(ARCHIVE / name, catalog).passages
            for mention in extract_figures(passage.text)]


# --- The real corpus -----------------------------------------------------------------------------

def test_recall_and_precision_on_the_corpus(corpus_mentions: list[tuple[str, str, FigureMention]]) -> None:
    truth = Counter((name, value, kind) for name, _, value, kind in CORPUS_FIGURES)
    found = Counter((name, mention.value, mention.kind) for name, _, mention in corpus_mentions)
    hits = sum((truth & found).values())
    recall, precision = hits / sum(truth.values()), hits / sum(found.values())
    print(f"\nfigure extraction on the corpus: recall {recall:.3f}, precision {precision:.3f} "
          f"({hits} right of {sum(truth.values())} figures, {sum(found.values())} found)")
    assert recall >= 0.95, f"missed: {truth - found}"
    assert precision >= 0.95, f"not figures: {found - truth}"


def test_the_truth_list_is_printed_in_the_issues() -> None:
    for name, as_printed, _, _ in CORPUS_FIGURES + CAPTION_FIGURES:
        assert as_printed in (ARCHIVE / name).read_text(encoding="utf-8"), (name, as_printed)


def test_caption_figures_are_read_from_the_caption_text() -> None:
    for name, as_printed, value, kind in CAPTION_FIGURES:
        caption = next(line for line in (ARCHIVE / name).read_text(encoding="utf-8").splitlines() if as_printed in line)
        assert (as_printed, value, kind) in summary(caption)


def test_offsets_point_at_the_printed_text(corpus_mentions: list[tuple[str, str, FigureMention]]) -> None:
    for _, text, mention in corpus_mentions:
        assert text[mention.start:mention.end] == mention.as_printed


def test_mentions_are_json_safe_records(corpus_mentions: list[tuple[str, str, FigureMention]]) -> None:
    _, _, mention = corpus_mentions[0]
    assert json.loads(json.dumps(mention.to_json()))["value"] == mention.value
    with pytest.raises(FrozenInstanceError):
        mention.value = 0  # type: ignore[misc]


def test_corpus_labels_and_sentences(corpus_mentions: list[tuple[str, str, FigureMention]]) -> None:
    by_printed = {(name, mention.as_printed): mention for name, _, mention in corpus_mentions}
    assert by_printed[(F0, "3120")].label == "stranded vulnerable migrants"
    assert by_printed[(F0, "7,801")].label == "victims of trafficking and vulnerable migrants"
    assert by_printed[(F0, "23")].label == "objectives of the GCM"
    assert by_printed[(F1, "5,177")].label == "migrants and their family members"
    assert by_printed[(F2, "470")].label == "COVID-19 overview in Central Asia: Deaths"
    assert by_printed[(F4, "1,200")].sentence.endswith("overall targeting around 1,200 individuals.")


# --- Printed forms -------------------------------------------------------------------------------

COVID_LINE = ("COVID-19 in Central Asia (Kazakhstan, Kyrgyzstan, Tajikistan and Uzbekistan): "
              "330, 528 registered cases, 4,378 deaths.")


@pytest.mark.parametrize("text, as_printed, value, kind", [
    ("IOM missions in Central Asia have assisted 7,801 victims of trafficking.", "7,801", 7801, "count"),
    (COVID_LINE, "330, 528", 330528, "count"),
    (COVID_LINE, "4,378", 4378, "count"),
    ("The audience of more than 2,5 million people was reached.", "2,5 million", 2500000, "count"),
    ("Kyrgyzstan’s 6.3 million citizens", "6.3 million", 6300000, "count"),
    ("reached 1 500 000 people", "1 500 000", 1500000, "count"),
    ("About 45% of migrants lost their jobs.", "45%", 45, "percentage"),
    ("45 percent of respondents", "45 percent", 45, "percentage"),
    ("Remittances fell by 12.5 per cent.", "12.5 per cent", 12.5, "percentage"),
    ("The project received USD 1.2 million from the donor.", "USD 1.2 million", 1200000, "money"),
    ("A grant of $500,000 for shelters.", "$500,000", 500000, "money"),
    ("Each family received 5,000 tenge.", "5,000 tenge", 5000, "money"),
    ("During 3 days ToT participants raised awareness", "3 days", 3, "duration"),
    ("a 2-week course", "2-week", 2, "duration"),
])
def test_printed_forms(text: str, as_printed: str, value: float, kind: str) -> None:
    figure = only(text, as_printed)
    assert (figure.value, figure.kind) == (value, kind)


def test_labels_after_the_figure() -> None:
    assert only(COVID_LINE, "330, 528").label == "registered cases"
    assert only(COVID_LINE, "4,378").label == "deaths"
    assert only("facilitate voluntary return of 3120 stranded vulnerable migrants back to Tajikistan",
                "3120").label == "stranded vulnerable migrants"


def test_bold_figure_in_raw_text() -> None:
    text = "IOM missions have assisted **3120** stranded vulnerable migrants back to Tajikistan."
    figure = only(text, "3120")
    assert (figure.value, figure.label) == (3120, "stranded vulnerable migrants")
    assert text[figure.start:figure.end] == "3120"


def test_breakdown_by_sex_is_kept_as_parts() -> None:
    text = "Total number of people covered is: 1131 (m691/f440) and more than 1500 leaflets were disseminated."
    figure = only(text, "1131 (m691/f440)")
    assert figure.value == 1131
    assert figure.parts == (("male", 691), ("female", 440))
    assert figure.label == "Total number of people covered"
    assert summary(text) == [("1131 (m691/f440)", 1131, "count"), ("1500", 1500, "count")]


def test_breakdown_printed_as_words() -> None:
    assert summary("It reached 1131 (691 men, 440 women).") == [("1131 (691 men, 440 women)", 1131, "count")]
    assert only("It reached 1131 (691 men, 440 women).", "1131 (691 men, 440 women)").parts == (
        ("male", 691), ("female", 440))


def test_more_than_is_a_qualifier_and_a_part_of_a_whole_is_labelled_by_the_whole() -> None:
    text = "More than 700,000 of Kyrgyzstan’s 6.3 million citizens work abroad."
    figure = only(text, "700,000")
    assert (figure.value, figure.qualifier, figure.label) == (700000, "more than", "Kyrgyzstan’s citizens")
    assert only(text, "6.3 million").label == "citizens"


def test_stat_block_label_sits_under_the_figure_with_its_heading() -> None:
    text = ("COVID-19 overview in Central Asia\n\n(Kazakhstan, Kyrgyzstan, Tajikistan, and Uzbekistan)\n\n"
            "76,698\n\nRegistered\n\n30,759\n\nRecovered\n\n470\n\nDeaths")
    assert [(f.value, f.label) for f in extract_figures(text)] == [
        (76698, "COVID-19 overview in Central Asia: Registered"),
        (30759, "COVID-19 overview in Central Asia: Recovered"),
        (470, "COVID-19 overview in Central Asia: Deaths"),
    ]
    assert only(text, "76,698").sentence == "76,698 Registered"


def test_stat_block_in_raw_text_with_footnote() -> None:
    text = "COVID-19 overview in Central Asia\n\n**76,698**\n\nRegistered\n\n470\n\nDeaths<sup>1</sup>"
    assert summary(text) == [("76,698", 76698, "count"), ("470", 470, "count")]
    assert only(text, "470").label == "COVID-19 overview in Central Asia: Deaths"


def test_money_currency_is_in_unit() -> None:
    assert only("The project received USD 1.2 million from the donor.", "USD 1.2 million").unit == "USD"
    assert only("A grant of $500,000 for shelters.", "$500,000").unit == "USD"
    assert only("Each family received 5,000 tenge.", "5,000 tenge").unit == "KZT"


def test_duration_range_keeps_both_ends() -> None:
    figure = only("daily interactive sessions lasting 1-2 hours and individual assignments", "1-2 hours")
    assert (figure.value, figure.kind, figure.unit, figure.parts) == (1, "duration", "hour", (("from", 1), ("to", 2)))


def test_number_words_are_not_figures() -> None:
    """A decision: only digits make figures ("four days", "three areas" are prose)."""
    assert extract_figures("In the course of four days, lectures were held on three areas.") == []


def test_year_shaped_counts_are_figures() -> None:
    assert summary("More than 2000 migrants returned.") == [("2000", 2000, "count")]
    assert summary("2000 migrants returned.") == [("2000", 2000, "count")]


# --- Not figures ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 9, 24/12/2020",
    "Issue №3, 10 July 2020",
    "the COVID-19 Joint Statement on the Impact of COVID-19 on Migrants dated 12.06.2020.",
    "On November 23-26, IOM conducted a series of regional online training courses",
    "Khorugh TV on December 16, 2020.",
    "IOM Uzbekistan held International Forum on Migration (17-18 December 2020)",
    "To mark July 30, IOM Uzbekistan organized the visit",
    "December 18 marked the International Migrants Day.",
    "Nur-Sultan, 18 December 2020 – Since Spring 2020, the attention",
    "On 12 November, IOM, WHO, Tajik health authorities, and the NGO AFEW held a regional dialogue",
    "the outbreak of COVID-19 in 2019",
    "In 2021 IOM/UN Migration Agency completed the research",
    "the priority areas in the implementation of NAP for the year 2020.",
    "experts from Central Asian countries in 2019-2020.",
    "the Turkmenistan National action plan (NAP) 2020-2022 on combating human trafficking",
    "Kazakhstan: Advanced Migration Profile (2014-2019)",
    "[Kazakhstan: Advanced Migration Profile \\(2014-2019\\)](#)",
    "For the period May-July 2022,",
    "To observe the International Migrants Day 2021 and as part of the Global Migration Film Festival",
    "the advancement of the Global 2030 Agenda",
    "contribute to the achievement of Targets 10.7 and 17.16 of the SDGs",
    "as well as the achievement of the Objective 19 of the Global Compact",
    "ONLINE INFORMATION CAMPAIGNS ON SAFE MIGRATION DURING COVID 19 OUTBREAK",
    "adopted by Decree No. 45 of the Government",
    "write to iom2020@iom.int",
    "<https://caa-network.org/archives/19520>",
    "the 3rd meeting of the 21st century",
    "Instagram page “Hotline1899” and WhatsApp",
])
def test_not_figures(text: str) -> None:
    assert extract_figures(text) == []


def test_counts_right_after_dates_and_years_are_kept() -> None:
    assert summary("On 23-25 August 2022 10 specialists were trained.") == [("10", 10, "count")]
    assert summary("In November 2020 18 vulnerable migrants received assistance") == [("18", 18, "count")]
    assert summary("by the end of the 2022, 300 staff of the points of entries") == [("300", 300, "count")]


def test_hotlines_are_contacts() -> None:
    text = ("Kazakhstan's (11616) and Kyrgyzstan's national hotline (1899) as well as emergency cell number "
            "in Tajikistan +992900800800 continue to receive calls.")
    assert summary(text) == HOTLINES
    assert only(text, "1899").label == "Kyrgyzstan's national hotline"


def test_a_bracketed_number_is_a_contact_only_where_phones_are_spoken_of() -> None:
    assert [f.kind for f in extract_figures("Guests (1899) came from Tashkent.")] == ["count"]
    assert extract_figures("The school was founded (1995) in Tashkent.") == []
    assert summary("Call the hotline 8 800 080 8000 for help.") == [("8 800 080 8000", 88000808000, "contact")]


# --- The number normalisation other modules use ------------------------------------------------------

def test_number_groups_are_joined() -> None:
    printed = "7,801 and 330, 528 and 7 801, but 2,5 million"
    assert join_number_groups(printed) == "7801 and 330528 and 7801, but 2,5 million"


def test_numbers_in_leaves_out_years_and_single_digits() -> None:
    assert numbers_in("In 2020, 7,801 migrants, 5 staff and 6.3 million citizens") == {"7801", "6.3"}
