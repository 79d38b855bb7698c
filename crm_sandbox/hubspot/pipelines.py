"""The deal pipelines a new HubSpot portal has: one, the default "Sales Pipeline" (id `default`)
with HubSpot's seven default stages, the stage ids the seed uses (`vocabulary.DEAL_STAGES`).

Shapes from HubSpot's Pipelines spec (HubSpot/HubSpot-public-api-spec-collection,
`PublicApiSpecs/CRM/Pipelines/Rollouts/145896/v3/pipelines.json`, version v3): a `Pipeline` has
`id`, `label`, `displayOrder`, `stages`, `createdAt`, `updatedAt`, `archived`; a `PipelineStage`
the same plus `metadata`, a string map that for deals carries `probability` ("0.0" to "1.0")
and `isClosed`. "The default pipelines will have createdAt = 0", and so do their stages.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_sandbox.core.times import iso_ms
from crm_sandbox.core.vocabulary import DEAL_STAGES, LOST_STAGE, WON_STAGE
from crm_sandbox.hubspot.errors import JsonObject

DEFAULT_PIPELINE_ID = "default"
DEFAULT_PIPELINE_LABEL = "Sales Pipeline"
#: Default pipeline stage → win probability, as the stage's `metadata.probability` says it.
STAGE_PROBABILITY: dict[str, str] = {
    "appointmentscheduled": "0.2",
    "qualifiedtobuy": "0.4",
    "presentationscheduled": "0.6",
    "decisionmakerboughtin": "0.8",
    "contractsent": "0.9",
    WON_STAGE: "1.0",
    LOST_STAGE: "0.0",
}
STAGE_LABELS: dict[str, str] = {
    "appointmentscheduled": "Appointment Scheduled",
    "qualifiedtobuy": "Qualified To Buy",
    "presentationscheduled": "Presentation Scheduled",
    "decisionmakerboughtin": "Decision Maker Bought-In",
    "contractsent": "Contract Sent",
    WON_STAGE: "Closed Won",
    LOST_STAGE: "Closed Lost",
}
CLOSED_STAGES = frozenset({WON_STAGE, LOST_STAGE})


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str
    display_order: int
    probability: str

    def as_json(self) -> JsonObject:
        return {
            "label": self.label,
            "displayOrder": self.display_order,
            "metadata": {
                "isClosed": "true" if self.id in CLOSED_STAGES else "false",
                "probability": self.probability,
            },
            "id": self.id,
            "createdAt": iso_ms(0),
            "updatedAt": iso_ms(0),
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: str
    label: str
    display_order: int
    stages: tuple[Stage, ...]

    def stage(self, stage_id: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)

    def as_json(self) -> JsonObject:
        return {
            "label": self.label,
            "displayOrder": self.display_order,
            "id": self.id,
            "stages": [stage.as_json() for stage in self.stages],
            "createdAt": iso_ms(0),
            "updatedAt": iso_ms(0),
            "archived": False,
        }


DEFAULT_DEAL_PIPELINE = Pipeline(
    DEFAULT_PIPELINE_ID,
    DEFAULT_PIPELINE_LABEL,
    0,
    tuple(
        Stage(stage, STAGE_LABELS[stage], order, STAGE_PROBABILITY[stage])
        for order, stage in enumerate(DEAL_STAGES)
    ),
)
DEAL_PIPELINES: tuple[Pipeline, ...] = (DEFAULT_DEAL_PIPELINE,)
