"""The HubSpot API's route table: method and path → handler, in Starlette's path syntax.

Search routes count against the search limit instead of the burst limit (`limits`).
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_sandbox.hubspot.calls import Handler
from crm_sandbox.hubspot.responses import (
    association_writes,
    associations,
    object_writes,
    objects,
    pipelines,
    properties,
)


@dataclass(frozen=True, slots=True)
class HubSpotRoute:
    method: str
    path: str
    handler: Handler
    search: bool = False


_OBJECTS = "/crm/v3/objects/{objectType}"
_PROPERTIES = "/crm/v3/properties/{objectType}"
_V4_OBJECT = "/crm/v4/objects/{objectType}/{objectId}/associations"
_V4_PAIR = "/crm/v4/associations/{fromObjectType}/{toObjectType}"
_PIPELINE = "/crm/v3/pipelines/{objectType}/{pipelineId}"

ROUTES: tuple[HubSpotRoute, ...] = (
    HubSpotRoute("GET", _OBJECTS, objects.list_objects),
    HubSpotRoute("POST", _OBJECTS, object_writes.create_object),
    HubSpotRoute("POST", _OBJECTS + "/search", objects.search, search=True),
    HubSpotRoute("POST", _OBJECTS + "/batch/read", objects.batch_read),
    HubSpotRoute("POST", _OBJECTS + "/batch/update", object_writes.batch_update),
    HubSpotRoute("POST", _OBJECTS + "/batch/create", object_writes.batch_create),
    HubSpotRoute("POST", _OBJECTS + "/batch/archive", object_writes.batch_archive),
    HubSpotRoute("GET", _OBJECTS + "/{objectId}", objects.get_object),
    HubSpotRoute("PATCH", _OBJECTS + "/{objectId}", object_writes.update_object),
    HubSpotRoute("DELETE", _OBJECTS + "/{objectId}", object_writes.archive_object),
    HubSpotRoute("GET", _V4_OBJECT + "/{toObjectType}", associations.v4_associations),
    HubSpotRoute(
        "PUT",
        _V4_OBJECT + "/default/{toObjectType}/{toObjectId}",
        association_writes.associate_default,
    ),
    HubSpotRoute(
        "POST",
        "/crm/v4/associations/{objectType}/{toObjectType}/batch/read",
        associations.v4_batch_read,
    ),
    HubSpotRoute(
        "POST",
        "/crm/v3/associations/{objectType}/{toObjectType}/batch/read",
        associations.v3_batch_read,
    ),
    HubSpotRoute("GET", _PROPERTIES + "/groups", properties.list_groups),
    HubSpotRoute("POST", _PROPERTIES + "/groups", properties.create_group),
    HubSpotRoute("GET", _PROPERTIES + "/groups/{groupName}", properties.get_group),
    HubSpotRoute("PATCH", _PROPERTIES + "/groups/{groupName}", properties.update_group),
    HubSpotRoute("GET", _PROPERTIES, properties.list_properties),
    HubSpotRoute("POST", _PROPERTIES, properties.create_property),
    HubSpotRoute("GET", _PROPERTIES + "/{propertyName}", properties.get_property),
    HubSpotRoute("PATCH", _PROPERTIES + "/{propertyName}", properties.update_property),
    HubSpotRoute("DELETE", _PROPERTIES + "/{propertyName}", properties.archive_property),
    HubSpotRoute("GET", "/crm/v3/pipelines/{objectType}", pipelines.list_pipelines),
    HubSpotRoute("GET", _PIPELINE, pipelines.get_pipeline),
    HubSpotRoute("GET", _PIPELINE + "/stages", pipelines.list_stages),
    HubSpotRoute("GET", _PIPELINE + "/stages/{stageId}", pipelines.get_stage),
    HubSpotRoute("POST", _V4_PAIR + "/batch/create", association_writes.batch_create),
    HubSpotRoute(
        "POST", _V4_PAIR + "/batch/associate/default", association_writes.batch_associate_default
    ),
    HubSpotRoute(
        "PUT", _V4_OBJECT + "/{toObjectType}/{toObjectId}", association_writes.associate_labelled
    ),
    HubSpotRoute("GET", _V4_PAIR + "/labels", association_writes.list_labels),
    HubSpotRoute("POST", _V4_PAIR + "/labels", association_writes.create_label),
    HubSpotRoute(
        "GET",
        "/crm/associations/v4/{fromObjectType}/{toObjectType}/labels",
        association_writes.list_labels,
    ),
    HubSpotRoute(
        "POST",
        "/crm/associations/v4/{fromObjectType}/{toObjectType}/labels",
        association_writes.create_label,
    ),
)
