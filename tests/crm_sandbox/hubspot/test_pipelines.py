"""Deal pipelines through the official client: the default "Sales Pipeline" with HubSpot's
default stages (the ones the seed's deals use), and 404/400 for what does not exist."""

from __future__ import annotations

import hubspot
import pytest
from hubspot.crm.pipelines import ApiException

from crm_sandbox.core.vocabulary import DEAL_STAGES


def test_given_a_new_portal_when_listing_deal_pipelines_then_the_default_sales_pipeline_comes(
    client: hubspot.Client,
) -> None:
    [pipeline] = client.crm.pipelines.pipelines_api.get_all("deals").results

    assert (pipeline.id, pipeline.label, pipeline.display_order) == ("default", "Sales Pipeline", 0)
    assert [stage.id for stage in pipeline.stages] == list(DEAL_STAGES)
    assert pipeline.created_at.timestamp() == 0  # "The default pipelines will have createdAt = 0"
    assert not pipeline.archived


def test_given_the_default_pipeline_when_reading_its_stages_then_each_has_probability_and_closed(
    client: hubspot.Client,
) -> None:
    stages = client.crm.pipelines.pipeline_stages_api.get_all("deals", "default").results

    metadata = {stage.label: stage.metadata for stage in stages}
    assert metadata["Appointment Scheduled"] == {"isClosed": "false", "probability": "0.2"}
    assert metadata["Contract Sent"] == {"isClosed": "false", "probability": "0.9"}
    assert metadata["Closed Won"] == {"isClosed": "true", "probability": "1.0"}
    assert metadata["Closed Lost"] == {"isClosed": "true", "probability": "0.0"}


def test_given_a_pipeline_id_when_read_by_id_then_it_and_its_stage_come_alone(
    client: hubspot.Client,
) -> None:
    pipeline = client.crm.pipelines.pipelines_api.get_by_id("0-3", "default")
    stage = client.crm.pipelines.pipeline_stages_api.get_by_id("deals", "default", "closedwon")

    assert pipeline.label == "Sales Pipeline"
    assert (stage.id, stage.label, stage.display_order) == ("closedwon", "Closed Won", 5)


@pytest.mark.parametrize(
    ("object_type", "pipeline_id", "status"),
    [("deals", "12345", 404), ("companies", "default", 400)],
)
def test_given_no_such_pipeline_when_read_then_hubspot_refuses(
    client: hubspot.Client, object_type: str, pipeline_id: str, status: int
) -> None:
    with pytest.raises(ApiException) as raised:
        client.crm.pipelines.pipelines_api.get_by_id(object_type, pipeline_id)

    assert raised.value.status == status
    assert pipeline_id in raised.value.body or object_type in raised.value.body
