"""The rubric version scores carry and the CRM is written: the declared version and a short
hash of the rubric's content, so two different rubrics never share one, within 64 characters."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.scoring.compiled import VERSION_LENGTH, written_version
from connectors.salesforce.schema import RUBRIC_VERSION_LENGTH

HEX = "0123456789abcdef"


@given(
    version=st.text(min_size=1, max_size=64),
    fingerprint=st.text(alphabet=HEX, min_size=64, max_size=64),
)
def test_given_any_version_when_written_then_it_fits_the_crm_and_ends_with_the_content_hash(
    version: str, fingerprint: str
) -> None:
    written = written_version(version, fingerprint)

    assert len(written) <= VERSION_LENGTH == RUBRIC_VERSION_LENGTH
    assert written.endswith(f"+{fingerprint[:8]}")
    assert version.startswith(written.removesuffix(f"+{fingerprint[:8]}"))
    if len(version) <= VERSION_LENGTH - 9:
        assert written == f"{version}+{fingerprint[:8]}"


def test_given_two_rubrics_under_one_declared_version_when_compiled_then_their_written_versions_differ() -> (
    None
):
    shipped = load_rubric()
    edited = copy.deepcopy(shipped.model_dump())
    edited["tiers"][0]["min_score"] += 1  # an edit that forgot to bump `version`

    first, second = compile_rubric(shipped), compile_rubric(Rubric.model_validate(edited))

    assert first.version == second.version == "2026.11-default"
    assert first.written_version != second.written_version
    assert first.written_version == compile_rubric(load_rubric()).written_version  # stable


def test_given_the_same_rubric_with_its_keys_in_another_order_then_it_is_the_same_rubric() -> None:
    document = load_rubric().model_dump(mode="json")
    reordered = {key: document[key] for key in reversed(document)}
    reordered["layers"] = {key: document["layers"][key] for key in reversed(document["layers"])}

    shipped = compile_rubric(Rubric.model_validate(document))
    same = compile_rubric(Rubric.model_validate(reordered))

    assert list(reordered["layers"]) != list(document["layers"])
    assert same.written_version == shipped.written_version
