"""The writeback property definitions and the pure diff `ensure_schema` acts on."""

from __future__ import annotations

from connectors.hubspot.schema import (
    PropertySpec,
    merged_options,
    property_changes,
    writeback_properties,
)


def by_name(tiers: list[str], flags: list[str]) -> dict[str, PropertySpec]:
    return {spec.name: spec for spec in writeback_properties(tiers, flags)}


def test_given_a_rubric_when_defined_then_types_field_types_and_options_match_the_design() -> None:
    specs = by_name(["tier_1", "tier_2", "tier_3"], ["too_small", "competitor"])

    assert {name: (s.type, s.field_type) for name, s in specs.items()} == {
        "icp_fit_score": ("number", "number"),
        "icp_tier": ("enumeration", "select"),
        "icp_disqualified": ("bool", "booleancheckbox"),
        "icp_flags": ("enumeration", "checkbox"),
        "icp_reasons": ("string", "textarea"),
        "icp_scored_at": ("datetime", "date"),
        "icp_rubric_version": ("string", "text"),
    }
    assert [o.value for o in specs["icp_tier"].options] == [
        "tier_1",
        "tier_2",
        "tier_3",
        "disqualified",
    ]
    assert specs["icp_tier"].options[0].label == "Tier 1"
    assert [o.value for o in specs["icp_disqualified"].options] == ["true", "false"]
    assert [o.value for o in specs["icp_flags"].options] == ["too_small", "competitor"]
    assert all(s.group_name == "icp_sync" for s in specs.values())


def test_given_a_definition_created_from_the_spec_when_diffed_then_nothing_changes() -> None:
    for spec in writeback_properties(["tier_1", "tier_2"], ["too_small"]):
        existing = {**spec.create_body(), "hubspotDefined": False, "createdAt": "2024-01-01"}

        assert property_changes(spec, existing) == {}


def test_given_a_new_flag_in_the_rubric_when_diffed_then_options_are_patched_keeping_old_ones() -> (
    None
):
    old = by_name(["tier_1"], ["too_small", "retired_flag"])["icp_flags"].create_body()
    new = by_name(["tier_1"], ["too_small", "competitor"])["icp_flags"]

    changes = property_changes(new, old)

    assert list(changes) == ["options"]
    assert [o["value"] for o in changes["options"]] == ["too_small", "competitor", "retired_flag"]


def test_given_a_property_in_another_group_with_another_label_when_diffed_then_both_are_patched() -> (
    None
):
    spec = by_name(["tier_1"], [])["icp_fit_score"]
    existing = {**spec.create_body(), "groupName": "companyinformation", "label": "Fit"}

    assert property_changes(spec, existing) == {
        "label": "ICP fit score",
        "groupName": "icp_sync",
    }


def test_given_a_wrongly_typed_property_when_diffed_then_type_and_field_type_are_sent_together() -> (
    None
):
    spec = by_name(["tier_1"], [])["icp_fit_score"]
    existing = {**spec.create_body(), "type": "string"}

    changes = property_changes(spec, existing)

    assert (changes["type"], changes["fieldType"]) == ("number", "number")


def test_given_a_server_that_drops_descriptions_and_display_orders_when_diffed_then_unchanged() -> (
    None
):
    spec = by_name(["tier_1"], [])["icp_tier"]
    existing = spec.create_body()
    del existing["description"]
    existing["options"] = [{"label": o["label"], "value": o["value"]} for o in existing["options"]]

    assert property_changes(spec, existing) == {}


def test_given_a_hidden_option_when_merged_then_it_is_shown_again() -> None:
    spec = by_name(["tier_1"], [])["icp_tier"]
    existing = [{**o, "hidden": True} for o in spec.create_body()["options"]]

    merged = merged_options(spec.options, existing)

    assert merged is not None
    assert not any(o["hidden"] for o in merged)
