"""The contract schemas themselves: each is a valid JSON Schema that says where it comes from,
and every case (the pending ones too, whose failures would hide a typo) names one that exists."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from tests.crm_sandbox.contract import test_hubspot_contract, test_salesforce_contract
from tests.crm_sandbox.contract.contract import SCHEMAS, Case, validator

FILES = sorted(SCHEMAS.rglob("*.json"))
CASES = (*test_hubspot_contract.CASES, *test_salesforce_contract.CASES)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(SCHEMAS)))
def test_given_a_schema_file_then_it_is_valid_and_cites_its_source(path: Path) -> None:
    document = json.loads(path.read_text())
    jsonschema_rs.meta.validate(document)
    comment = document.get("$comment", "")
    assert len(comment) > 80, f"{path.name}: $comment must cite what the schema was written from"
    if path.parent.name == "hubspot" and path.name != "rate_limit_error.json":
        assert "PublicApiSpecs/CRM/" in comment, path.name
        assert "info.version" in comment, path.name
        assert "commit" in comment, path.name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_given_a_contract_case_then_its_schema_exists(case: Case) -> None:
    if case.schema is not None:
        validator(case.schema)
