"""Seniority read from job titles (app/scoring/titles.py), against the corpus of real titles in
data/job_titles.csv (committed before the matcher) and properties over any text."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rubric.model import SENIORITY_LEVELS
from app.scoring.titles import Seniority, seniority_of

CORPUS_FILE = Path(__file__).with_name("data") / "job_titles.csv"
with CORPUS_FILE.open(encoding="utf-8", newline="") as _handle:
    CORPUS = list(csv.DictReader(_handle))
TITLES = [row["title"] for row in CORPUS]
SEPARATED = re.compile(r"[&/,|;()+@-]|\s(?:and|und|et|y|e|at)\s", re.IGNORECASE)
"""A title with more than one part: each part has a rank of its own."""
RANK = {level: index for index, level in enumerate(SENIORITY_LEVELS)}  # 0 is the highest


def rank(title: str) -> int:
    return RANK[seniority_of(title).level]


def test_given_the_corpus_file_when_read_then_it_covers_every_level_with_traps() -> None:
    assert len(CORPUS) >= 120
    assert {row["expected"] for row in CORPUS} == set(SENIORITY_LEVELS)
    assert sum(1 for row in CORPUS if row["trap"] == "yes") >= 40


def test_given_every_corpus_title_when_read_then_each_has_its_expected_level() -> None:
    wrong = [
        f"{row['title']!r}: expected {row['expected']}, got {found.level} "
        f"(from {found.words!r}){' [trap]' if row['trap'] else ''}"
        for row in CORPUS
        if (found := seniority_of(row["title"])).level != row["expected"]
    ]
    assert not wrong, f"{len(wrong)} of {len(CORPUS)} titles misread:\n" + "\n".join(wrong)


def test_given_no_title_when_read_then_unknown() -> None:
    assert seniority_of(None) == Seniority("unknown", "", True)
    assert seniority_of("") == seniority_of("  ") == seniority_of(None)


def test_given_a_title_with_several_ranks_when_read_then_the_deciding_words_are_given() -> None:
    assert seniority_of("VP, Sales") == Seniority("vp", "vp", True)
    assert seniority_of("Sales Manager & Founder") == Seniority("c_level", "founder", False)
    assert seniority_of("Assistant to the CEO") == Seniority(
        "individual_contributor", "assistant", False
    )
    assert seniority_of("Former VP Sales") == Seniority("unknown", "former", False)


def test_given_a_company_after_at_when_read_then_its_name_is_not_a_rank() -> None:
    assert seniority_of("Account Executive at Chief Inc").level == "individual_contributor"
    assert seniority_of("SDR @ Founders Fund").level == "individual_contributor"


def test_given_a_pasted_paragraph_when_read_then_only_the_start_is_read() -> None:
    assert seniority_of("Account Executive " + "x " * 5000 + "CEO").level == (
        "individual_contributor"
    )


# --- properties -------------------------------------------------------------------------------

any_text = st.one_of(st.text(max_size=150), st.text(alphabet=st.characters(codec="utf-8")))
latin = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéèçñß '.,&/|-()@", max_size=60)
corpus_titles = st.sampled_from(TITLES)
short_text = st.one_of(corpus_titles, st.text(max_size=150), latin)


@settings(max_examples=500)
@given(any_text)
def test_given_any_text_when_read_then_a_level_and_never_an_error(text: str) -> None:
    found = seniority_of(text)
    assert found.level in SENIORITY_LEVELS
    assert isinstance(found.words, str)
    assert seniority_of(text) == found  # deterministic


@settings(max_examples=300)
@given(st.one_of(corpus_titles, latin), st.randoms(use_true_random=False))
def test_given_any_casing_when_read_then_the_same_seniority(text: str, random: object) -> None:
    import random as random_module

    assert isinstance(random, random_module.Random)
    mixed = "".join(c.upper() if random.random() < 0.5 else c.lower() for c in text)
    assert seniority_of(mixed) == seniority_of(text.lower()) == seniority_of(text.upper())


@settings(max_examples=300)
@given(short_text, st.sampled_from(["Former ", "ex-", "Retired ", "Previously "]))
def test_given_a_former_prefix_when_read_then_the_level_is_never_higher(
    text: str, prefix: str
) -> None:
    assert rank(prefix + text) >= rank(text)


@settings(max_examples=300)
@given(corpus_titles, corpus_titles, st.sampled_from([" & ", " / ", ", ", " | ", " - ", " and "]))
def test_given_two_titles_joined_when_read_then_the_higher_rank_wins(
    first: str, second: str, separator: str
) -> None:
    assert rank(first + separator + second) == min(rank(first), rank(second))


ONE_PART_TITLES = [t for t in TITLES if t.strip() and not SEPARATED.search(t)]


@settings(max_examples=200)
@given(
    st.sampled_from(ONE_PART_TITLES),
    st.sampled_from(["Assistant to the ", "Executive Assistant to ", "Advisor to the "]),
)
def test_given_an_assistant_to_anyone_when_read_then_never_above_individual_contributor(
    title: str, prefix: str
) -> None:
    assert rank(prefix + title) >= RANK["individual_contributor"]
