"""The HubSpot API's route table: method and path → handler, in Starlette's path syntax.

Search routes count against the search limit instead of the burst limit (`limits`). `scopes`:
the private-app scopes of which one grants the call, as templates (`scopes`).
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
from crm_sandbox.hubspot.scopes import (
    ASSOCIATIONS,
    OBJECTS_READ,
    OBJECTS_WRITE,
    SCHEMAS_READ,
    SCHEMAS_WRITE,
)


@dataclass(frozen=True, slots=True)
class HubSpotRoute:
    method: str
    path: str
    handler: Handler
    search: bool = False
    scopes: tuple[str, ...] = ()


_OBJECTS = "/crm/v3/objects/{objectType}"
_PROPERTIES = "/crm/v3/properties/{objectType}"
_V4_OBJECT = "/crm/v4/objects/{objectType}/{objectId}/associations"
_V4_PAIR = "/crm/v4/associations/{fromObjectType}/{toObjectType}"
_PIPELINE = "/crm/v3/pipelines/{objectType}/{pipelineId}"

ROUTES: tuple[HubSpotRoute, ...] = (
    HubSpotRoute("GET", _OBJECTS, objects.list_objects, scopes=OBJECTS_READ),
    HubSpotRoute("POST", _OBJECTS, object_writes.create_object, scopes=OBJECTS_WRITE),
    HubSpotRoute("POST", _OBJECTS + "/search", objects.search, search=True, scopes=OBJECTS_READ),
    HubSpotRoute("POST", _OBJECTS + "/batch/read", objects.batch_read, scopes=OBJECTS_READ),
    HubSpotRoute(
        "POST", _OBJECTS + "/batch/update", object_writes.batch_update, scopes=OBJECTS_WRITE
    ),
    HubSpotRoute(
        "POST", _OBJECTS + "/batch/create", object_writes.batch_create, scopes=OBJECTS_WRITE
    ),
    HubSpotRoute(
        "POST", _OBJECTS + "/batch/archive", object_writes.batch_archive, scopes=OBJECTS_WRITE
    ),
    HubSpotRoute("GET", _OBJECTS + "/{objectId}", objects.get_object, scopes=OBJECTS_READ),
    HubSpotRoute(
        "PATCH", _OBJECTS + "/{objectId}", object_writes.update_object, scopes=OBJECTS_WRITE
    ),
    HubSpotRoute(
        "DELETE", _OBJECTS + "/{objectId}", object_writes.archive_object, scopes=OBJECTS_WRITE
    ),
    HubSpotRoute(
        "GET", _V4_OBJECT + "/{toObjectType}", associations.v4_associations, scopes=ASSOCIATIONS
    ),
    HubSpotRoute(
        "PUT",
        _V4_OBJECT + "/default/{toObjectType}/{toObjectId}",
        association_writes.associate_default,
        scopes=ASSOCIATIONS,
    ),
    HubSpotRoute(
        "POST",
        "/crm/v4/associations/{objectType}/{toObjectType}/batch/read",
        associations.v4_batch_read,
        scopes=ASSOCIATIONS,
    ),
    HubSpotRoute(
        "POST",
        "/crm/v3/associations/{objectType}/{toObjectType}/batch/read",
        associations.v3_batch_read,
        scopes=ASSOCIATIONS,
    ),
    HubSpotRoute("GET", _PROPERTIES + "/groups", properties.list_groups, scopes=SCHEMAS_READ),
    HubSpotRoute("POST", _PROPERTIES + "/groups", properties.create_group, scopes=SCHEMAS_WRITE),
    HubSpotRoute(
        "GET", _PROPERTIES + "/groups/{groupName}", properties.get_group, scopes=SCHEMAS_READ
    ),
    HubSpotRoute(
        "PATCH", _PROPERTIES + "/groups/{groupName}", properties.update_group, scopes=SCHEMAS_WRITE
    ),
    HubSpotRoute("GET", _PROPERTIES, properties.list_properties, scopes=SCHEMAS_READ),
    HubSpotRoute("POST", _PROPERTIES, properties.create_property, scopes=SCHEMAS_WRITE),
    HubSpotRoute(
        "GET", _PROPERTIES + "/{propertyName}", properties.get_property, scopes=SCHEMAS_READ
    ),
    HubSpotRoute(
        "PATCH", _PROPERTIES + "/{propertyName}", properties.update_property, scopes=SCHEMAS_WRITE
    ),
    HubSpotRoute(
        "DELETE", _PROPERTIES + "/{propertyName}", properties.archive_property, scopes=SCHEMAS_WRITE
    ),
    HubSpotRoute(
        "GET", "/crm/v3/pipelines/{objectType}", pipelines.list_pipelines, scopes=SCHEMAS_READ
    ),
    HubSpotRoute("GET", _PIPELINE, pipelines.get_pipeline, scopes=SCHEMAS_READ),
    HubSpotRoute("GET", _PIPELINE + "/stages", pipelines.list_stages, scopes=SCHEMAS_READ),
    HubSpotRoute("GET", _PIPELINE + "/stages/{stageId}", pipelines.get_stage, scopes=SCHEMAS_READ),
    HubSpotRoute(
        "POST", _V4_PAIR + "/batch/create", association_writes.batch_create, scopes=ASSOCIATIONS
    ),
    HubSpotRoute(
        "POST",
        _V4_PAIR + "/batch/associate/default",
        association_writes.batch_associate_default,
        scopes=ASSOCIATIONS,
    ),
    HubSpotRoute(
        "PUT",
        _V4_OBJECT + "/{toObjectType}/{toObjectId}",
        association_writes.associate_labelled,
        scopes=ASSOCIATIONS,
    ),
    HubSpotRoute(
        "DELETE",
        _V4_OBJECT + "/{toObjectType}/{toObjectId}",
        association_writes.archive_one,
        scopes=ASSOCIATIONS,
    ),
    HubSpotRoute(
        "POST", _V4_PAIR + "/batch/archive", association_writes.batch_archive, scopes=ASSOCIATIONS
    ),
    HubSpotRoute("GET", _V4_PAIR + "/labels", association_writes.list_labels, scopes=ASSOCIATIONS),
    HubSpotRoute(
        "POST", _V4_PAIR + "/labels", association_writes.create_label, scopes=ASSOCIATIONS
    ),
    HubSpotRoute(
        "GET",
        "/crm/associations/v4/{fromObjectType}/{toObjectType}/labels",
        association_writes.list_labels,
        scopes=ASSOCIATIONS,
    ),
    HubSpotRoute(
        "POST",
        "/crm/associations/v4/{fromObjectType}/{toObjectType}/labels",
        association_writes.create_label,
        scopes=ASSOCIATIONS,
    ),
)
