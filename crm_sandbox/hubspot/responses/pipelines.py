"""Deal pipelines over the API (`pipelines`): `GET /crm/v3/pipelines/{objectType}`,
`…/{pipelineId}`, `…/{pipelineId}/stages` and `…/stages/{stageId}`, read-only.

Statuses from HubSpot's Pipelines spec (`PublicApiSpecs/CRM/Pipelines/Rollouts/145896/v3/
pipelines.json`, v3): 200 with `CollectionResponsePipelineNoPaging` / `Pipeline` /
`CollectionResponsePipelineStageNoPaging` / `PipelineStage`; "that ID must correspond to an
existing, un-archived pipeline. Otherwise the request will fail with a `404 Not Found`". Object
types without pipelines (companies, contacts) answer 400: the spec says pipelines support
`deals` and `tickets`, and the sandbox has no tickets.
"""

from __future__ import annotations

from crm_sandbox.hubspot.calls import Call, HubSpotApi, Reply
from crm_sandbox.hubspot.errors import not_found, validation_error
from crm_sandbox.hubspot.object_types import any_type_of
from crm_sandbox.hubspot.pipelines import DEAL_PIPELINES, Pipeline


def list_pipelines(_api: HubSpotApi, call: Call) -> Reply:
    pipelines = _pipelines_of(call.path["objectType"])
    return Reply(200, {"results": [pipeline.as_json() for pipeline in pipelines]})


def get_pipeline(_api: HubSpotApi, call: Call) -> Reply:
    return Reply(200, _pipeline(call).as_json())


def list_stages(_api: HubSpotApi, call: Call) -> Reply:
    return Reply(200, {"results": [stage.as_json() for stage in _pipeline(call).stages]})


def get_stage(_api: HubSpotApi, call: Call) -> Reply:
    pipeline = _pipeline(call)
    stage = pipeline.stage(call.path["stageId"])
    if stage is None:
        raise not_found(
            f"Unable to find stage {call.path['stageId']} in pipeline {pipeline.id}",
        )
    return Reply(200, stage.as_json())


def _pipelines_of(type_name: str) -> tuple[Pipeline, ...]:
    if any_type_of(type_name) != "deals":
        raise validation_error(
            f"objectType {type_name!r} has no pipelines: pipelines support deals and tickets"
        )
    return DEAL_PIPELINES


def _pipeline(call: Call) -> Pipeline:
    pipeline_id = call.path["pipelineId"]
    for pipeline in _pipelines_of(call.path["objectType"]):
        if pipeline.id == pipeline_id:
            return pipeline
    raise not_found(f"Unable to find pipeline {pipeline_id} for objectType deals")
