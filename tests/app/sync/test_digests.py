"""The digests stored with every account must not change with how they are built: a changed
input hash would rescore every stored account after an upgrade, a changed values hash would
make every one owe the CRM a write. Held here against the formulas they were first stored by."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.rubric import load_rubric
from app.scoring import AccountFacts, compile_rubric
from app.store.bulk_write import json_text
from app.sync.bulk_read import json_value
from app.sync.facts import input_hash
from app.sync.writeback import values_hash

RUBRIC = compile_rubric(load_rubric())
text = st.text(max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4)
)
FIELDS = ("name", "domain", "industry", "employees", "annual_revenue", "country", "state",
          "technologies", "email", "title", "deals_open", "deals_won", "deals_lost")  # fmt: skip


def first_input_hash(facts: AccountFacts, note: str | None) -> str:
    payload = json.dumps(
        [RUBRIC.fingerprint, facts.object_type, RUBRIC.inputs(facts), note],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@given(
    values=st.fixed_dictionaries({}, optional={f: scalars | st.lists(text) for f in FIELDS}),
    properties=st.dictionaries(text, documents, max_size=6),
    object_type=st.sampled_from(["company", "account", "lead"]),
    note=st.none() | text,
)
def test_given_any_facts_when_digested_then_the_input_hash_is_the_first_formulas(
    values: dict[str, Any], properties: dict[str, Any], object_type: str, note: str | None
) -> None:
    facts = AccountFacts(
        id="1", values=values, object_type=object_type, source="hubspot", properties=properties
    )
    assert input_hash(RUBRIC, facts, note) == first_input_hash(facts, note)


@given(st.dictionaries(text, text))
def test_given_any_crm_values_when_digested_then_the_values_hash_is_the_first_formulas(
    values: dict[str, str],
) -> None:
    first = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
    assert values_hash(values) == first


@given(documents)
def test_given_any_document_when_written_as_json_text_then_it_reads_back_as_json_writes_it(
    document: Any,
) -> None:
    assert json.loads(json_text(document)) == json.loads(json.dumps(document))


@given(documents)
def test_given_any_stored_document_when_read_by_the_bulk_mode_then_it_is_what_json_reads(
    document: Any,
) -> None:
    stored = json.dumps(document)
    assert json_value(stored) == json.loads(stored)
