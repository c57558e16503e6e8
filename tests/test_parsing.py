"""Parsing the newsletter files: issue metadata, sections, passages, noise, recurring blocks, figures.

Every expected value below was read off the five files of archive/ (identical to shared/corpus/)
by hand, or off the small fixtures written here for the purpose.  The real files are parsed with an
empty catalog, so what is tested is what the text itself says; the catalog has tests of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, write_issue

from index.ingest.catalog import Catalog, CatalogError, load_catalog
from index.ingest.countries import countries_in
from index.ingest.passages import MAX_WORDS, default_word_pieces
from index.ingest.reader import UnreadableFile, decode, parse_issue, read_issue
from index.text.numbers import join_number_groups

I000 = "000_01b647a0f58beec8"
I001 = "001_246ca7c614daeaee"
I002 = "002_44f630649352dfb2"
I003 = "003_831dd773c1231ba4"
I004 = "004_b65f6fdd4f2a120b"
ISSUE_IDS = (I000, I001, I002, I003, I004)

# Section titles in reading order, as printed (whitespace collapsed, ** and ## removed).  A title that
# ends in "…" is a generated one: the untitled story's first words; only its start is fixed here.
EXPECTED_TITLES = {
    I000: [
        "DIRECT ASSISTANCE",
        "PARTNERSHIP IN ACTION",
        "TRAINING MANUAL ON RETURN MIGRATION",  # **bold**, over two lines
        "On 12 November, IOM…",  # untitled: the date of another event after a finished story
        "RESEARCH ON REMITTANCES IN CENTRAL ASIA AND THE RUSSIAN FEDERATION",
        "ORANGE THE WORLD!",
    ],
    I001: [
        "THE OBSERVANCE OF THE INTERNATIONAL MIGRANTS DAY IN CENTRAL ASIA",
        "OBSERVANCE OF THE INTERNATIONAL MIGRANTS DAY IN KAZAKHSTAN",  # "PRESS RELEASE" above it folded in
        "IOM Kyrgyzstan launched…",  # untitled: a paragraph about another country
        "INTERNATIONAL MIGRANTS DAY – TAJIKISTAN",
        "IOM Uzbekistan held…",  # untitled
    ],
    I002: [
        "DIRECT ASSISTANCE",  # "## RETURNING HOME" above "### DIRECT ASSISTANCE" folded in
        "PARTNERSHIP IN ACTION",
        "ONLINE INFORMATION CAMPAIGNS ON SAFE MIGRATION DURING COVID 19 OUTBREAK",
        # "### KAZAKHSTAN" in the contact list is no heading; "АЛМАТИНСКИЙ ПРОЦЕСС" is text
    ],
    I003: [
        "NEW PARTNERSHIP IN KAZAKHSTAN",
        "RING TRAINING IN TASHKENT",
        "TAJIKISTAN'S NATIONAL ACTION PLAN TO COUNTER TRAFFICKING IN PERSONS",
        'KYRGYZSTAN RELEASED A REPORT "THE ROLE OF DIGITAL REMITTANCES: CONSOLIDATED FINDINGS FROM SUPPLY AND DEMAND"',
        "SAVE THE DATE!",
        "CHECK OUT THESE TITLES IN IOM BOOKSTORE:",
    ],
    I004: [
        "IOM KAZAKHSTAN TOOK PART IN A HIGH-LEVEL ROUNDTABLE MEETING DEDICATED TO THE INTERNATIONAL DAY TO "
        "COMBAT TRAFFICKING IN PERSONS, CELEBRATED ANNUALLY ON JULY 30.",
        "IOM KYRGYZSTAN CONDUCTED THE FIRST MEETING OF THE MIGRATION DATA TASK FORCE GROUP",
        "IOM TAJIKISTAN EXTENDED MULTISECTORAL APPROACH FOR BORDER HEALTHCARE",
        'IOM TURKMENISTAN, EURASIA FOUNDATION AND USAID ORGANIZED THE ROUNDTABLE "EMPLOYMENT AND PROFESSIONAL '
        'ORIENTATION OF YOUTH".',
        "IOM UZBEKISTAN WELCOMED THE AZERBAIJANI AND GEORGIAN CTIP DELEGATIONS",
    ],
}


def corpus_path(issue_id: str) -> Path:
    return CORPUS_DIR / f"{issue_id}.txt"


@pytest.fixture(scope="module")
def parsed():
    """The five real issues parsed with an empty catalog: issue id -> ParsedIssue."""
    return {issue_id: read_issue(corpus_path(issue_id), Catalog()) for issue_id in ISSUE_IDS}


@pytest.fixture(scope="module")
def all_passages(parsed):
    return [p for issue_id in ISSUE_IDS for p in parsed[issue_id].passages]


def texts_of(parsed_issue) -> str:
    return "\n".join(p.text for p in parsed_issue.passages)


# --- issue metadata ----------------------------------------------------------------------------

def test_printed_running_header_gives_number_and_day(parsed):
    issue = parsed[I001].issue
    assert issue.id == I001 and issue.source == f"{I001}.txt"
    assert issue.number == 9
    assert (issue.date.iso, issue.date.precision) == ("2020-12-24", "day")
    assert issue.date_inferred is False
    assert issue.provenance["number"] == "printed" and issue.provenance["date"] == "printed"


def test_printed_issue_line_gives_number_and_day(parsed):
    issue = parsed[I002].issue
    assert issue.number == 3
    assert (issue.date.iso, issue.date.precision) == ("2020-07-10", "day")
    assert issue.date_inferred is False
    assert issue.provenance["number"] == "printed" and issue.provenance["date"] == "printed"


@pytest.mark.parametrize("issue_id, month", [(I000, "2020-11"), (I003, "2021-11"), (I004, "2022-08")])
def test_undated_issue_gets_month_of_latest_event_and_no_number(parsed, issue_id, month):
    issue = parsed[issue_id].issue
    assert issue.number is None, "an issue number is never invented"
    assert (issue.date.iso, issue.date.precision) == (month, "month")
    assert issue.date_inferred is True
    assert issue.provenance["number"] == "unknown"
    assert issue.provenance["date"] == "inferred"


def test_issue_label_says_inferred(parsed):
    assert parsed[I001].issue.label == "Issue 9, 2020-12-24"
    assert parsed[I000].issue.label == "2020-11 (inferred)"


def test_year_less_dates_do_not_place_an_issue(tmp_path):
    # "December 10" (no year) is an annual date; only "5 March 2019" names a year.
    path = write_issue(tmp_path, "x.txt", "SOME STORY\n\nOn December 10 and on 5 March 2019 IOM met partners in Osh.\n")
    issue = read_issue(path, Catalog()).issue
    assert issue.date.iso == "2019-03" and issue.date_inferred


def test_issue_without_any_date_stays_undated(tmp_path):
    path = write_issue(tmp_path, "x.txt", "SOME STORY\n\nIOM met partners in Osh to plan the campaign.\n")
    issue = read_issue(path, Catalog()).issue
    assert issue.date is None and issue.number is None
    assert issue.provenance["date"] == "unknown" and not issue.date_inferred


# --- the catalog ---------------------------------------------------------------------------------

CATALOG = """\
[newsletter]
title = "Test Bulletin"
author = "Test Office"

["issues"."000_01b647a0f58beec8.txt"]
number = 7
date = "2020-11-30"
title = "Winter issue"
source_link = "https://example.org/000.pdf"
author = "Guest Editors"

["issues"."001_246ca7c614daeaee.txt"]
number = 10
date = "2020-12"
"""


@pytest.fixture()
def catalog_dir(tmp_path):
    for issue_id in (I000, I001):
        write_issue(tmp_path, f"{issue_id}.txt", corpus_path(issue_id).read_text(encoding="utf-8"))
    (tmp_path / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    return tmp_path


def test_catalog_overrides_every_field(catalog_dir):
    catalog = load_catalog(catalog_dir)
    issue = read_issue(catalog_dir / f"{I000}.txt", catalog).issue
    assert issue.number == 7
    assert (issue.date.iso, issue.date.precision) == ("2020-11-30", "day")
    assert issue.date_inferred is False
    assert issue.title == "Winter issue"
    assert issue.source_link == "https://example.org/000.pdf"
    assert issue.author == "Guest Editors"  # the issue's own entry wins over the newsletter's author
    assert issue.provenance == {"number": "catalog", "date": "catalog", "title": "catalog", "source_link": "catalog",
                                "author": "catalog"}


def test_catalog_wins_over_printed_values(catalog_dir):
    issue = read_issue(catalog_dir / f"{I001}.txt", load_catalog(catalog_dir)).issue
    assert issue.number == 10  # printed 9, corrected by the catalog
    assert (issue.date.iso, issue.date.precision) == ("2020-12", "month")
    assert issue.provenance["number"] == "catalog" and issue.provenance["date"] == "catalog"
    assert issue.source_link is None and issue.provenance["source_link"] == "unknown"
    assert issue.title.startswith("Test Bulletin")  # the newsletter's title from the catalog
    assert issue.newsletter == "Test Bulletin" and issue.author == "Test Office"


def test_without_an_author_in_the_catalog_none_is_named(tmp_path):
    write_issue(tmp_path, "a.txt", "A STORY\n\nIOM met partners in Osh to plan the campaign on 5 May 2021.\n")
    issue = read_issue(tmp_path / "a.txt", load_catalog(tmp_path)).issue
    assert issue.author is None and issue.provenance["author"] == "unknown"


@pytest.mark.parametrize("text", [
    'newsletter = "IOM"\n',  # not a table
    'issues = "x"\n',  # not a table
    '[newsletter]\ntitle = 5\n',  # not text
    '[newsletter]\nauthor = ["IOM"]\n',  # not text
    '["issues"."a.txt"]\nauthor = 1\n',  # not text
    '["issues"."a.txt"]\ndate = "2020-13-45"\n',  # no such month or day
    '["issues"."a.txt"]\ndate = "2021-02-30"\n',  # no such day
])
def test_malformed_catalog_values_are_catalog_errors(tmp_path, text):
    (tmp_path / "catalog.toml").write_text(text, encoding="utf-8")
    write_issue(tmp_path, "a.txt", "A STORY\n\nIOM met partners in Osh to plan the campaign on 5 May 2021.\n")
    with pytest.raises(CatalogError) as caught:
        read_issue(tmp_path / "a.txt", load_catalog(tmp_path))
    assert "catalog.toml" in str(caught.value)


def test_absent_catalog_is_empty(tmp_path):
    catalog = load_catalog(tmp_path)
    assert catalog.entries == {}


@pytest.mark.parametrize("text, mentions", [
    ("this is = not [ valid toml", "catalog.toml"),
    ('["issues"."a.txt"]\nnumbr = 3\n', "numbr"),
    ('["issues"."a.txt"]\ndate = "2020-13"\n', "date"),
    ('["issues"."a.txt"]\ndate = "24/12/2020"\n', "date"),
    ('["issues"."a.txt"]\nnumber = "nine"\n', "number"),
    ('["issues"."a.txt"]\ntitle = 5\n', "title"),
])
def test_broken_catalog_is_an_error_naming_the_file(tmp_path, text, mentions):
    (tmp_path / "catalog.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    message = str(caught.value)
    assert "catalog.toml" in message
    assert mentions in message


# --- sections ------------------------------------------------------------------------------------

@pytest.mark.parametrize("issue_id", ISSUE_IDS)
def test_section_titles_in_reading_order(parsed, issue_id):
    titles = [s.title for s in parsed[issue_id].sections]
    expected = EXPECTED_TITLES[issue_id]
    assert len(titles) == len(expected), titles
    for title, want in zip(titles, expected):
        if want.endswith("…"):
            assert title.startswith(want[:-1]), titles
        else:
            assert title == want, titles


@pytest.mark.parametrize("issue_id", ISSUE_IDS)
def test_sections_are_numbered_and_flagged(parsed, issue_id):
    sections = parsed[issue_id].sections
    assert [s.position for s in sections] == list(range(1, len(sections) + 1))
    assert len({s.id for s in sections}) == len(sections)
    for section, want in zip(sections, EXPECTED_TITLES[issue_id]):
        assert section.issue_id == issue_id
        assert section.title_generated is want.endswith("…"), section.title


def test_no_heading_markup_or_folded_labels_in_titles(parsed):
    titles = [s.title for i in ISSUE_IDS for s in parsed[i].sections]
    for title in titles:
        assert "**" not in title and "#" not in title and "  " not in title and "\n" not in title
    assert "PRESS RELEASE" not in titles
    assert "RETURNING HOME" not in titles
    assert "KAZAKHSTAN" not in titles
    assert not any(re.search(r"[\u0400-\u04FF]", t) for t in titles)


def test_generated_titles_are_the_first_words(parsed):
    untitled = [s for s in parsed[I001].sections if s.title_generated]
    assert len(untitled) == 2
    for section, opening in zip(untitled, ("IOM Kyrgyzstan launched their local United Nations",
                                           "IOM Uzbekistan held International Forum on Migration")):
        assert section.title.startswith(opening)
        assert len(section.title.split()) <= 12
        # the story's own text starts with those words
        first = next(p for p in parsed[I001].passages if p.section_id == section.id)
        assert first.text.startswith(opening)


def test_mission_paragraph_about_the_story_country_does_not_split(parsed):
    # "IOM Kazakhstan has launched a week-long information marathon" is in the Kazakhstan press release.
    kazakh = parsed[I001].sections[1]
    passage = next(p for p in parsed[I001].passages if "week-long information marathon" in p.text)
    assert passage.section_id == kazakh.id


def test_untitled_story_holds_its_following_paragraphs(parsed):
    uzbek = parsed[I001].sections[4]
    text = " ".join(p.text for p in parsed[I001].passages if p.section_id == uzbek.id)
    assert "Cabinet of Ministers of the Republic of Uzbekistan" in text
    assert "More than 100 representatives from IOM" in text


DATELINES_004 = [
    "July 26, 2022, Kazakhstan, Nur-Sultan",  # not "August 16, 2022, CBI campaign ...": the first wins
    "August 22, 2022, Kyrgyzstan, Bishkek",
    "August 23, 2022, Tajikistan, Dushanbe",
    "July 14, 2022, Turkmenistan, Ashgabat",
    "July 28, 2022, Uzbekistan, Tashkent",
]


def test_datelines_attach_to_their_section(parsed):
    assert [s.dateline for s in parsed[I004].sections] == DATELINES_004


def test_datelines_are_not_passage_text(parsed):
    text = texts_of(parsed[I004])
    for dateline in DATELINES_004 + ["August 16, 2022, CBI campaign in Kazakhstan, Shymkent"]:
        assert dateline not in text
    assert "CBI campaign in Kazakhstan, Shymkent" not in text


def test_press_release_dateline(parsed):
    sections = parsed[I001].sections
    assert sections[1].dateline == "Nur-Sultan, 18 December 2020"
    assert sections[0].dateline is None
    assert all(s.dateline is None for s in parsed[I003].sections)


def test_section_countries(parsed):
    countries = {s.title[:30]: s.countries for s in parsed[I004].sections}
    assert list(countries.values()) == [
        ("Kazakhstan", "Kyrgyzstan", "Turkmenistan", "Uzbekistan"),  # "Chief of IOM Mission in ..."
        ("Kyrgyzstan",),
        ("Tajikistan",),
        ("Turkmenistan",),
        ("Uzbekistan",),  # Azerbaijan and Georgia are not Central Asian countries of the archive
    ]
    assert parsed[I001].sections[3].countries == ("Tajikistan",)
    assert parsed[I003].sections[0].countries == ("Kazakhstan",)
    assert parsed[I003].sections[2].countries == ("Tajikistan",)


@pytest.mark.parametrize("text, expected", [
    ("a meeting in Dushanbe", ("Tajikistan",)),
    ("a training in Tashkent", ("Uzbekistan",)),
    ("the office in Bishkek", ("Kyrgyzstan",)),
    ("a roundtable in Ashgabat", ("Turkmenistan",)),
    ("events in Nur-Sultan", ("Kazakhstan",)),
    ("events in Almaty", ("Kazakhstan",)),
    ("events in Shymkent", ("Kazakhstan",)),
    ("Tajik health authorities", ("Tajikistan",)),
    ("Kazakh representatives", ("Kazakhstan",)),
    ("Kyrgyzstan’s citizens and Uzbekistan's ambassador", ("Kyrgyzstan", "Uzbekistan")),
    ("TURKMENISTAN", ("Turkmenistan",)),
    ("delegations from Azerbaijan and Georgia", ()),
    ("the Russian Federation", ()),
])
def test_countries_by_name_city_and_adjective(text, expected):
    assert countries_in(text) == expected


CITY_ISSUE = """\
TRAINING FOR BORDER GUARDS

May 5, 2021, Bishkek

Forty border guards learned to recognise victims of trafficking at the airport.

MEETING WITH DIASPORA

Tajik students abroad met the mission to talk about their studies and their plans.
"""


def test_section_and_passage_countries_from_city_dateline_and_adjective(tmp_path):
    parsed = read_issue(write_issue(tmp_path, "city.txt", CITY_ISSUE), Catalog())
    first, second = parsed.sections
    assert first.title == "TRAINING FOR BORDER GUARDS"
    assert first.dateline == "May 5, 2021, Bishkek"
    assert first.countries == ("Kyrgyzstan",)
    assert second.countries == ("Tajikistan",)
    by_section = {p.section_id: p for p in parsed.passages}
    assert by_section[first.id].countries == ("Kyrgyzstan",)  # the dateline's city counts for the passage
    assert "Bishkek" not in by_section[first.id].text


def test_headings_of_every_form(tmp_path):
    text = """\
**FIRST STORY IN
BOLD CAPITALS**

Text of the first story about water supply in the villages.

## SECOND STORY

Text of the second story about schools.

LABEL ABOVE

### THIRD STORY

Text of the third story about clinics.

АЛМАТИНСКИЙ ПРОЦЕСС
ALMATY PROCESS

KAZAKHSTAN

Closing words of the third story.
"""
    parsed = read_issue(write_issue(tmp_path, "h.txt", text), Catalog())
    # a name printed in two languages, line by line, is a logo (Cyrillic headings: test_russian.py)
    assert [s.title for s in parsed.sections] == ["FIRST STORY IN BOLD CAPITALS", "SECOND STORY", "THIRD STORY"]
    third = " ".join(p.text for p in parsed.passages if p.section_id == parsed.sections[2].id)
    assert "АЛМАТИНСКИЙ ПРОЦЕСС" in third
    assert "Closing words of the third story." in third


# --- passages --------------------------------------------------------------------------------------

def test_passages_fit_the_model(all_passages):
    assert all_passages
    for p in all_passages:
        assert len(p.text.split()) <= MAX_WORDS, p.id
        assert default_word_pieces().count(f"{p.section_title}. {p.text}") <= default_word_pieces().limit, p.id
        assert MAX_WORDS == 200 and default_word_pieces().limit == 254


def test_passages_are_non_empty_and_carry_their_place(parsed):
    for issue_id in ISSUE_IDS:
        result = parsed[issue_id]
        sections = {s.id: s for s in result.sections}
        assert [p.position for p in result.passages] == list(range(1, len(result.passages) + 1))
        for p in result.passages:
            assert p.text.strip()
            assert p.issue_id == issue_id
            assert p.id.startswith(issue_id)
            assert sections[p.section_id].title == p.section_title
        # every section has at least one passage
        assert {p.section_id for p in result.passages} == set(sections)


def test_passage_ids_unique_and_stable(all_passages):
    ids = [p.id for p in all_passages]
    assert len(set(ids)) == len(ids)
    again = [p.id for i in ISSUE_IDS for p in read_issue(corpus_path(i), Catalog()).passages]
    assert again == ids


def test_same_text_parses_identically(parsed):
    text = corpus_path(I003).read_text(encoding="utf-8")
    assert parse_issue(f"{I003}.txt", text, Catalog()) == parse_issue(f"{I003}.txt", text, Catalog())
    assert parse_issue(f"{I003}.txt", text, Catalog()).passages == parsed[I003].passages


def test_short_paragraphs_are_merged(tmp_path):
    text = """\
SHORT NOTES FROM THE FIELD

IOM met partners in Osh to plan the spring campaign.

The campaign will reach schools in three districts.

Volunteers were trained to answer questions from parents.
"""
    parsed = read_issue(write_issue(tmp_path, "short.txt", text), Catalog())
    assert len(parsed.passages) == 1
    only = parsed.passages[0].text
    assert only.index("IOM met partners") < only.index("The campaign will") < only.index("Volunteers were")


def test_long_paragraph_is_split_without_losing_words(tmp_path):
    sentences = [f"Sentence number {n} tells of the border crossing point where {n} migrants waited for help."
                 for n in range(1, 41)]  # 40 sentences of 15 words: 600 words in one paragraph
    paragraph = " ".join(sentences)
    parsed = read_issue(write_issue(tmp_path, "long.txt", f"A LONG STORY\n\n{paragraph}\n"), Catalog())
    assert len(parsed.passages) >= 3
    for p in parsed.passages:
        assert len(p.text.split()) <= MAX_WORDS
        assert default_word_pieces().count(f"{p.section_title}. {p.text}") <= default_word_pieces().limit
    assert " ".join(p.text for p in parsed.passages).split() == paragraph.split()
    # cut at sentence ends
    for p in parsed.passages:
        assert p.text.startswith("Sentence number") and p.text.endswith("help.")


def test_run_on_text_without_sentences_is_split_between_words(tmp_path):
    words = " ".join(f"word{n}" for n in range(450))
    parsed = read_issue(write_issue(tmp_path, "runon.txt", f"A RUN ON STORY\n\n{words}\n"), Catalog())
    assert len(parsed.passages) >= 3
    assert " ".join(p.text for p in parsed.passages).split() == words.split()
    for p in parsed.passages:
        assert len(p.text.split()) <= MAX_WORDS
        assert default_word_pieces().count(f"{p.section_title}. {p.text}") <= default_word_pieces().limit


# --- noise --------------------------------------------------------------------------------------

NOISE = [
    "IOM CENTRAL ASIA REGIONAL RESPONSE REPORT",
    "RESPONSE REPORT, ISSUE 9",
    "24/12/2020",
    "Issue №3, 10 July 2020",
    "Issue №3",
    "Photo by",
    "Photo above",
    "Photo:",
    "Footage from",
    "Please click on the photo",
    "This photo has been used",
    "HIV outreach to migrants in 2011",  # the rest of a caption
    "the eldest is 92 years old",  # the rest of a caption
    "Video is available",
    "[here](#)",
    "](#)",
    "(#)",
    "[FACEBOOK]",
    "mailto:",
    "<sup>",
    "<https://",
    "**",
    "##",
    "●",
    "◆",
    "FOLLOW US",
    "GO TO IOM CENTRAL ASIA ON",
]


@pytest.mark.parametrize("noise", NOISE)
def test_noise_is_absent_from_every_passage(all_passages, noise):
    offending = [p.id for p in all_passages if noise.lower() in p.text.lower()]
    assert offending == []


def test_no_passage_mentions_a_photo(all_passages):
    # every "photo" in the five files belongs to a caption
    assert [p.id for p in all_passages if re.search(r"photo|footage", p.text, re.I)] == []


@pytest.mark.parametrize("content", [
    "3120 stranded vulnerable migrants",  # after "Photo above by IOM partners." on the same line
    "During the reporting period IOM Kazakhstan, IOM Tajikistan, and IOM Uzbekistan",
    "In November 2020 18 vulnerable migrants",  # the line after a caption
    "330, 528 registered cases, 4,378 deaths",
    "7,801 victims of trafficking",
    "IOM missions in Central Asia have assisted 3186 vulnerable migrants.",
    "6.3 million",
    "2,5 million people",
    "1131 (m691/f440)",
    "+992900800800",
    "76,698",
    "30,759",
    "560,000 people",
    "АЛМАТИНСКИЙ ПРОЦЕСС",
    "1,200 individuals",
    "cash-based intervention",
    "Kazakhstan: Advanced Migration Profile (2014-2019)",  # a link's text stays, its escapes go
    "promoting a culture of not being silent about violence",  # a ◆ bullet's text stays
])
def test_real_content_survives(all_passages, content):
    assert any(content in p.text for p in all_passages), content


@pytest.mark.parametrize("mended", [
    "to meet the 23 objectives of the GCM",  # paragraph cut by a page break
    "Norwegian Ministry of Foreign Affairs, IOM and its partners",
    "NGO partners “Femida” in Dushanbe city, “Madina” in Khorog",  # across a running header
    "Kazakhstan, Kyrgyzstan, Tajikistan and Uzbekistan to respond to COVID-19",
    "US Department of State's Bureau of International Narcotics",
])
def test_paragraphs_cut_by_page_breaks_are_mended(all_passages, mended):
    assert any(mended in " ".join(p.text.split()) for p in all_passages), mended


STORY_OPENING = ("IOM met partners in Osh to plan the spring campaign for migrants and their families who "
                 "return home after years of work abroad in difficult conditions.")


def parse_story(tmp_path, *paragraphs: str):
    text = "A STORY ABOUT OSH\n\n" + "\n\n".join((STORY_OPENING,) + paragraphs) + "\n"
    return read_issue(write_issue(tmp_path, "story.txt", text), Catalog())


def test_caption_paragraph_dropped_story_kept(tmp_path):
    parsed = parse_story(tmp_path, "Photo by IOM Kyrgyzstan.", "Forty officers were trained in Osh in May 2021.")
    body = " ".join(p.text for p in parsed.passages)
    assert "Photo by" not in body and "IOM Kyrgyzstan." not in body
    assert "Forty officers were trained in Osh in May 2021." in body
    assert STORY_OPENING in body


def test_story_paragraph_opening_with_video_survives(tmp_path):
    parsed = parse_story(tmp_path, "Video lessons on safe migration were watched by 45,000 people in Osh.")
    assert any("45,000 people in Osh" in p.text for p in parsed.passages)


def test_short_story_paragraph_mentioning_a_photo_exhibition_survives(tmp_path):
    parsed = parse_story(tmp_path, "A photo exhibition on the lives of migrant women opened in Almaty on 5 May 2021.")
    assert any("photo exhibition on the lives of migrant women" in p.text for p in parsed.passages)


# --- recurring blocks ----------------------------------------------------------------------------

def test_contact_and_hotline_blocks_are_recurring(all_passages):
    for p in all_passages:
        if "@iom.int" in p.text or "national hotline (1899)" in p.text:
            assert p.recurring, p.id
    for p in all_passages:
        if p.recurring:
            assert "@iom.int" in p.text or "hotline" in p.text.lower() or "Contact" in p.text, p.id


@pytest.mark.parametrize("issue_id", [I000, I001, I002])
def test_recurring_blocks_kept_once_per_issue(parsed, issue_id):
    text = texts_of(parsed[issue_id])
    assert text.count("iomuz@iom.int") == 1
    assert text.count("national hotline (1899)") == 1
    assert text.count("dushanbe@iom.int") == 1


def test_repeated_kazakhstan_contact_block_kept_once(parsed):
    text = texts_of(parsed[I001])
    assert text.count("Contact email addresses") == 1
    assert text.count("facebook.com/iomcentralasia") == 1


def test_story_text_is_not_recurring(parsed):
    ring = [p for p in parsed[I003].passages if p.section_title == "RING TRAINING IN TASHKENT"]
    assert ring and not any(p.recurring for p in ring)
    assert not any(p.recurring for p in parsed[I004].passages)  # 004 has no contacts or hotline


def test_story_paragraph_opening_with_contacts_is_not_recurring(tmp_path):
    parsed = parse_story(tmp_path, "Contacts between the border services of the two countries were strengthened "
                                   "during 2021, and 40 officers were trained.")
    passage = next(p for p in parsed.passages if "border services of the two countries" in p.text)
    assert not passage.recurring


def test_recurring_never_merged_with_story_text(all_passages):
    for p in all_passages:
        if p.recurring:
            assert "The International Organization for Migration" not in p.text
            assert "IOM Uzbekistan held" not in p.text


# --- reading files -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\n\t\n", "empty"),
    ("binary.txt", b"SOME TITLE\n\nsome text\x00\x01\x02 more", "binary"),
    ("latin1.txt", "TITRE\n\nCaf\u00e9 d\u00e9j\u00e0 vu, r\u00e9sum\u00e9 des activit\u00e9s.".encode("latin-1"), "UTF-8"),
    ("digits.txt", b"12 34 56\n\n78\n", "no words"),
])
def test_unreadable_files_say_why(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as caught:
        read_issue(path, Catalog())
    assert name in str(caught.value)
    assert reason in str(caught.value)


def test_decode_accepts_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffSTORY TITLE\n\nTajik migrants returned home.".encode("utf-8"))
    assert decode(path).startswith("STORY TITLE")


# --- figures -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("7801", "7801"),
    ("7,801", "7801"),
    ("7 801", "7801"),
    ("**7,801** victims", "**7801** victims"),
    ("330, 528 registered cases, 4,378 deaths", "330528 registered cases, 4378 deaths"),
    ("76,698", "76698"),
    ("more than 700,000 of Kyrgyzstan’s 6.3 million citizens", "more than 700000 of Kyrgyzstan’s 6.3 million citizens"),
    ("1 234 567", "1234567"),
    ("1,200 individuals", "1200 individuals"),
    ("2,5 million", "2,5 million"),
    ("6.3 million", "6.3 million"),
    ("2019 100", "2019 100"),
    ("in 2019-2020 100 experts", "in 2019-2020 100 experts"),
    ("by the end of the 2022, 300 staff", "by the end of the 2022, 300 staff"),
    ("In November 2020 18 vulnerable migrants", "In November 2020 18 vulnerable migrants"),
    ("+992900800800", "+992900800800"),
    ("1131 (m691/f440)", "1131 (m691/f440)"),
    ("12.06.2020", "12.06.2020"),
    ("Kazakhstan's (11616)", "Kazakhstan's (11616)"),
])
def test_join_number_groups(text, expected):
    assert join_number_groups(text) == expected
