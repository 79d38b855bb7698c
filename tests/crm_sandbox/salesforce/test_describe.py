"""`sobjects/{Obj}/describe` over HTTPS through simple-salesforce: every key of Salesforce's
DescribeSObjectResult and DescribeFieldResult, values right for each field type, and the
standard fields a new org has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.simple_salesforce_typed import TypedSalesforce, connect, sandbox_session

#: DescribeFieldResult's keys, as a real org's describe answer carries them.
FIELD_KEYS = frozenset(
    [
        "aggregatable",
        "autoNumber",
        "byteLength",
        "calculated",
        "calculatedFormula",
        "cascadeDelete",
        "caseSensitive",
        "controllerName",
        "createable",
        "custom",
        "defaultValue",
        "defaultValueFormula",
        "defaultedOnCreate",
        "dependentPicklist",
        "deprecatedAndHidden",
        "digits",
        "displayLocationInDecimal",
        "encrypted",
        "externalId",
        "extraTypeInfo",
        "filterable",
        "filteredLookupInfo",
        "groupable",
        "highScaleNumber",
        "htmlFormatted",
        "idLookup",
        "inlineHelpText",
        "label",
        "length",
        "mask",
        "maskType",
        "name",
        "nameField",
        "namePointing",
        "nillable",
        "permissionable",
        "picklistValues",
        "polymorphicForeignKey",
        "precision",
        "queryByDistance",
        "referenceTargetField",
        "referenceTo",
        "relationshipName",
        "relationshipOrder",
        "restrictedDelete",
        "restrictedPicklist",
        "scale",
        "soapType",
        "sortable",
        "type",
        "unique",
        "updateable",
        "writeRequiresMasterRead",
    ]
)
#: DescribeSObjectResult's keys.
OBJECT_KEYS = frozenset(
    [
        "activateable",
        "childRelationships",
        "createable",
        "custom",
        "customSetting",
        "deletable",
        "deprecatedAndHidden",
        "feedEnabled",
        "fields",
        "hasSubtypes",
        "isSubtype",
        "keyPrefix",
        "label",
        "labelPlural",
        "layoutable",
        "mergeable",
        "mruEnabled",
        "name",
        "queryable",
        "recordTypeInfos",
        "replicateable",
        "retrieveable",
        "searchable",
        "triggerable",
        "undeletable",
        "updateable",
        "urls",
    ]
)
OBJECTS = ("Account", "Lead", "Opportunity", "User", "Group", "AssignmentRule")


@pytest.fixture(scope="module")
def org(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSalesforce]:
    with start_shared_crm_sandbox.salesforce_only(seed=4, companies=5) as running:
        yield running


@pytest.fixture(scope="module")
def sf(org: RunningSalesforce) -> Iterator[TypedSalesforce]:
    with sandbox_session(org) as http:
        yield connect(org, http)


@pytest.fixture(scope="module")
def described(sf: TypedSalesforce) -> dict[str, dict[str, Any]]:
    return {name: dict(getattr(sf, name).describe()) for name in OBJECTS}


def fields_of(described: dict[str, dict[str, Any]], name: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in described[name]["fields"]}


@pytest.mark.parametrize("object_name", OBJECTS)
def test_given_an_object_when_described_then_every_salesforce_key_is_there(
    described: dict[str, dict[str, Any]], object_name: str
) -> None:
    answer = described[object_name]

    assert answer.keys() >= OBJECT_KEYS
    assert answer["name"] == object_name
    for described_field in answer["fields"]:
        assert described_field.keys() >= FIELD_KEYS, described_field["name"]
        for value in described_field["picklistValues"]:
            assert value.keys() == {"active", "defaultValue", "label", "validFor", "value"}


def test_given_account_when_described_then_a_new_orgs_standard_fields_are_listed(
    described: dict[str, dict[str, Any]],
) -> None:
    fields = fields_of(described, "Account")

    assert {
        "Type", "Description", "Phone", "Website", "BillingCity", "BillingCountry",
        "NumberOfEmployees", "AnnualRevenue", "Industry", "OwnerId", "ParentId", "CreatedDate",
        "LastModifiedDate", "SystemModstamp", "IsDeleted", "CreatedById",
    } <= fields.keys()  # fmt: skip
    assert {"LeadSource", "Phone", "Description", "City"} <= fields_of(described, "Lead").keys()
    assert {"Probability", "Description", "LeadSource", "NextStep"} <= fields_of(
        described, "Opportunity"
    ).keys()


@pytest.mark.parametrize(
    ("object_name", "field_name", "expected"),
    [
        ("Account", "Id", {"type": "id", "soapType": "tns:ID", "byteLength": 18, "length": 18,
                           "createable": False, "updateable": False, "idLookup": True}),
        ("Account", "Name", {"soapType": "xsd:string", "byteLength": 765, "nameField": True,
                             "createable": True, "nillable": False}),
        ("Account", "NumberOfEmployees", {"soapType": "xsd:int", "digits": 8, "length": 0,
                                          "precision": 0}),
        ("Account", "AnnualRevenue", {"type": "currency", "soapType": "xsd:double",
                                      "precision": 18, "groupable": False}),
        ("Opportunity", "Amount", {"soapType": "xsd:double", "precision": 18, "scale": 2}),
        ("Account", "IsDeleted", {"soapType": "xsd:boolean", "createable": False,
                                  "nillable": False, "defaultedOnCreate": True}),
        ("Account", "CreatedDate", {"soapType": "xsd:dateTime", "createable": False,
                                    "updateable": False, "groupable": False}),
        ("Opportunity", "CloseDate", {"soapType": "xsd:date", "nillable": False}),
        ("Account", "OwnerId", {"soapType": "tns:ID", "relationshipName": "Owner",
                                "referenceTo": ["User"], "createable": True,
                                "polymorphicForeignKey": False}),
        ("Lead", "OwnerId", {"referenceTo": ["Group", "User"], "polymorphicForeignKey": True}),
        ("Opportunity", "AccountId", {"relationshipName": "Account", "referenceTo": ["Account"]}),
        ("Account", "Description", {"type": "textarea", "filterable": False, "sortable": False,
                                    "length": 32000}),
        ("Lead", "ICP_Flags__c", {"type": "multipicklist", "sortable": False, "custom": True}),
        ("Lead", "ICP_Tier__c", {"restrictedPicklist": True, "soapType": "xsd:string"}),
        ("User", "Username", {"idLookup": True, "length": 80}),
        ("AssignmentRule", "Active", {"updateable": False, "createable": False}),
    ],
)  # fmt: skip
def test_given_a_field_when_described_then_values_follow_its_type(
    described: dict[str, dict[str, Any]], object_name: str, field_name: str,
    expected: dict[str, Any],
) -> None:  # fmt: skip
    described_field = fields_of(described, object_name)[field_name]

    assert {key: described_field[key] for key in expected} == expected


def test_given_account_when_described_then_object_flags_prefix_and_relationships_are_right(
    described: dict[str, dict[str, Any]],
) -> None:
    account = described["Account"]

    assert (account["keyPrefix"], account["labelPlural"]) == ("001", "Accounts")
    assert (account["createable"], account["queryable"], account["retrieveable"]) == (True,) * 3
    assert account["urls"]["describe"].endswith("/sobjects/Account/describe")
    assert {(r["childSObject"], r["field"], r["relationshipName"])
            for r in account["childRelationships"]} >= {
        ("Opportunity", "AccountId", "Opportunities")}  # fmt: skip
    assert account["recordTypeInfos"][0]["master"] is True
    rule = described["AssignmentRule"]
    assert (rule["queryable"], rule["createable"], rule["keyPrefix"]) == (True, False, "01Q")
