"""The describe answer, `GET /services/data/vNN.N/sobjects/{Obj}/describe`, with the keys of
Salesforce's DescribeSObjectResult and, per field, DescribeFieldResult (SOAP API Developer
Guide, "describeSObjects()" and "DescribeFieldResult"; REST API Developer Guide, "sObject
Describe"). Shapes and per-type values checked against real answers kept in public tests (an
Account describe with `Id` `tns:ID`/`byteLength` 18, `Name` `xsd:string`/765,
`NumberOfEmployees` `xsd:int`; a Contact describe with `picklistValues` entries carrying
`active`, `defaultValue`, `label`, `validFor`, `value`).

Values follow the field's type: `soapType` (`tns:ID`, `xsd:string`, `xsd:int`, `xsd:double`,
`xsd:boolean`, `xsd:date`, `xsd:dateTime`), `length`/`byteLength` (3 bytes a character, 0 for
numbers, dates and checkboxes), `digits` for integers and `precision`/`scale` for the other
numbers; system fields are neither `createable` nor `updateable`; long text areas and
multi-select picklists are neither `sortable` nor `groupable`, and long text areas not
`filterable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_sandbox.salesforce.ids import PREFIXES
from crm_sandbox.salesforce.metadata import FieldDef

SOAP_TYPES: dict[str, str] = {
    "id": "tns:ID", "reference": "tns:ID", "int": "xsd:int", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double", "boolean": "xsd:boolean",
    "date": "xsd:date", "datetime": "xsd:dateTime",
}  # fmt: skip
_NO_LENGTH = ("int", "double", "currency", "percent", "boolean", "date", "datetime")
#: Types SOQL cannot GROUP BY (SOQL and SOSL Reference, "GROUP BY": "Considerations").
_NOT_GROUPABLE = ("double", "currency", "percent", "datetime", "multipicklist", "textarea")
_LONG_TEXT = 255  # a textarea longer than this is a Long Text Area: no filter, no sort
#: The plural labels of the objects the org has.
_PLURALS = {
    "Opportunity": "Opportunities",
    "AssignmentRule": "Assignment Rules",
}
#: Objects set up in Setup, not through the data API.
_SETUP_OBJECTS = ("AssignmentRule",)
#: The Master record type every object has (its id is the same in every org).
MASTER_RECORD_TYPE = "012000000000000AAA"


def describe(object_name: str, schema: Mapping[str, FieldDef]) -> dict[str, Any]:
    """The describe answer for an object whose fields are `schema`."""
    setup = object_name in _SETUP_OBJECTS
    base = f"/services/data/v59.0/sobjects/{object_name}"
    return {
        "actionOverrides": [],
        "activateable": False,
        "childRelationships": child_relationships(object_name),
        "compactLayoutable": not setup,
        "createable": not setup,
        "custom": object_name.endswith("__c"),
        "customSetting": False,
        "deepCloneable": False,
        "deletable": not setup,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "fields": [describe_field(definition) for definition in schema.values()],
        "hasSubtypes": False,
        "idEnabled": True,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": PREFIXES.get(object_name),
        "label": _label(object_name),
        "labelPlural": _PLURALS.get(object_name, f"{_label(object_name)}s"),
        "layoutable": not setup,
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": object_name in ("Account", "Lead"),
        "mruEnabled": not setup,
        "name": object_name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": True,
        "recordTypeInfos": [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": MASTER_RECORD_TYPE,
                "urls": {"layout": f"{base}/describe/layouts/{MASTER_RECORD_TYPE}"},
            }
        ],
        "replicateable": True,
        "retrieveable": True,
        "searchLayoutable": not setup,
        "searchable": not setup,
        "supportedScopes": [
            {"label": "All " + _PLURALS.get(object_name, object_name), "name": "everything"}
        ],
        "triggerable": not setup,
        "undeletable": not setup,
        "updateable": not setup,
        "urls": {
            "compactLayouts": f"{base}/describe/compactLayouts",
            "rowTemplate": f"{base}/{{ID}}",
            "describe": f"{base}/describe",
            "layouts": f"{base}/describe/layouts",
            "sobject": base,
        },
    }


def describe_field(f: FieldDef) -> dict[str, Any]:
    """A DescribeFieldResult: every key Salesforce sends, valued for the field's type."""
    kind = f.type
    length = 18 if kind in ("id", "reference") else 0 if kind in _NO_LENGTH else f.length
    long_text = kind == "textarea" and f.length > _LONG_TEXT
    system = f.name in ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
                        "LastModifiedById", "SystemModstamp")  # fmt: skip
    return {
        "aggregatable": not long_text,
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": length * 3 if kind not in ("id", "reference") else length,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": f.can_create,
        "custom": f.custom,
        "defaultValue": False if kind == "boolean" and f.can_create else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": system or f.name == "OwnerId" or kind == "boolean",
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": f.precision if kind == "int" else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": "plaintextarea" if kind == "textarea" else None,
        "filterable": not long_text,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": kind not in _NOT_GROUPABLE,
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": kind == "id" or kind == "email" or f.name == "Username",
        "inlineHelpText": None,
        "label": f.label or f.name,
        "length": length,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name == "Name",
        "namePointing": f.name == "OwnerId" and len(f.reference_to) > 1,
        "nillable": f.nillable and kind != "boolean",
        "permissionable": f.nillable and not system and kind != "id",
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in f.picklist
        ],
        "polymorphicForeignKey": len(f.reference_to) > 1,
        "precision": f.precision if kind in ("double", "currency", "percent") else 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": f.restricted,
        "scale": f.scale,
        "searchPrefilterable": kind == "reference",
        "soapType": SOAP_TYPES.get(kind, "xsd:string"),
        "sortable": not long_text and kind != "multipicklist",
        "type": kind,
        "unique": False,
        "updateable": f.updateable,
        "writeRequiresMasterRead": False,
    }


def child_relationships(object_name: str) -> list[dict[str, Any]]:
    """The org's lookups to this object, as `childRelationships` lists them."""
    children: list[tuple[str, str, str]] = []
    if object_name == "Account":
        children = [("Account", "ParentId", "ChildAccounts"),
                    ("Opportunity", "AccountId", "Opportunities")]  # fmt: skip
    return [
        {
            "cascadeDelete": False,
            "childSObject": child,
            "deprecatedAndHidden": False,
            "field": field_name,
            "junctionIdListNames": [],
            "junctionReferenceTo": [],
            "relationshipName": name,
            "restrictedDelete": False,
        }
        for child, field_name, name in children
    ]


def _label(object_name: str) -> str:
    return {"AssignmentRule": "Assignment Rule"}.get(object_name, object_name)
