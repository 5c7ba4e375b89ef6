"""The OpenAPI 3.1 document, generated from the registered operations and their pydantic schemas."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .core import REGISTRY, Operation
from .responses import MEDIA_TYPES, SUCCESS

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "types": {
                    "type": "object", "additionalProperties": {"type": "string"},
                    "description": "422 validation_error only: each field's error type (pydantic's: missing, "
                                   "float_parsing, string_too_short, ...), to word a message for people",
                },
            },
            "additionalProperties": True,
        }
    },
}


UNSAFE = {"post", "put", "patch", "delete"}
STATUS_TEXT = {
    400: "the body is not valid JSON or not a JSON object",
    401: "not signed in (no, expired or revoked bearer token / session)",
    403: "signed in but not allowed (policy), or a cookie session without X-CSRF-Token",
    404: "unknown, or not yours to know of",
    409: "the status or version does not allow the change, or a concurrent change won",
    413: "the body is too large",
    415: "the body is not application/json",
    422: "a field is invalid; `fields` names each one",
    429: "too many sign-in attempts from this address (Retry-After)",
    503: "the database is unreachable (Retry-After)",
}
# Errors an endpoint raises beyond what its shape implies (see :func:`error_statuses`).
EXTRA_ERRORS: dict[str, tuple[int, ...]] = {
    "auth.create_token": (401, 429),
    "auth.login": (401, 429),
    "auth.revoke_token": (422,),
    "directory.list_states": (403,),
    "directory.list_authorities": (403,),
    "directory.list_capabilities": (403,),
    "directory.list_units": (403,),
    "directory.get_unit": (403,),
    "directory.readiness_history": (403,),
    "directory.create_unit": (403,),
    "directory.update_unit": (403, 409),
    "directory.set_readiness": (403, 409),
    "matching.what_if": (403,),
    "coverage.coverage": (403,),
    "coverage.coverage_what_if": (403, 404),
    "trainings.list_trainings": (403,),
    "trainings.get_training": (403,),
    "trainings.list_attendance": (403,),
    "trainings.training_ics": (403,),
    "trainings.list_feeds": (403,),
    "duty.put_roster": (403, 409),
    "duty.import_roster": (403,),
    "alerts.acknowledge_by_link": (409,),
    "alerts.mailbox": (403,),
}
NO_DATABASE = {"system.livez", "system.openapi_document"}


def error_statuses(op: Operation) -> list[int]:
    """The error statuses ``op`` can answer, from its shape (sign-in, path, query, body) and declarations."""
    codes = set(op.errors) | set(EXTRA_ERRORS.get(op.name, ()))
    if op.auth:
        codes.add(401)
        if op.method in UNSAFE:
            codes.add(403)  # a cookie session without the CSRF token
    if op.path_params:
        codes.add(404)  # unknown id, or an id too large to exist
        if any(converter != "int" for _, converter in op.path_params):
            codes.add(422)  # NUL characters
    if op.query is not None:
        codes.add(422)
    if op.body is not None:
        codes |= {400, 413, 415, 422}
        codes.add(409)  # a concurrent write detected at commit
    if op.name not in NO_DATABASE:
        codes.add(503)
    return sorted(codes)


def path_parameter(name: str, converter: str) -> dict[str, Any]:
    """A path parameter typed after the Flask converter of the rule."""
    if converter == "int":
        schema: dict[str, Any] = {"type": "integer", "minimum": 0}
        description = "an id"
    elif name == "state":
        schema = {"type": "string", "minLength": 1, "examples": ["FR"]}
        description = "a two-letter state code, e.g. FR (case-insensitive); an unknown one answers 404"
    elif name == "recurrence_id":
        schema = {"type": "string", "minLength": 1, "examples": ["2027-03-17T09:00"]}
        description = "the occurrence's original local start (no offset), e.g. 2027-03-17T09:00; else 422"
    else:
        schema = {"type": "string", "minLength": 1}
        description = ""
    parameter: dict[str, Any] = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _response_model(op: Operation) -> type[BaseModel] | None:
    schema = SUCCESS.get(op.name)
    return schema if isinstance(schema, type) and issubclass(schema, BaseModel) else None


def _success_schema(op: Operation, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    """The JSON schema of ``op``'s success body: a reference to its response model, or the schema."""
    model = _response_model(op)
    if model is not None:
        return refs[model]
    schema = SUCCESS.get(op.name) or op.response
    if schema is None:
        raise LookupError(f"{op.name} ({op.method.upper()} {op.path}) declares no response schema")
    return schema


def _success(op: Operation, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    schema = _success_schema(op, refs)
    media_type = MEDIA_TYPES.get(op.name, "application/json")
    return {"description": op.summary, "content": {media_type: {"schema": schema}}}


def _error(op: Operation, status: int, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    if op.name == "system.healthz" and status == 503:
        # An unreachable database answers with the health body itself.
        schema = _success_schema(op, refs)
        return {"description": STATUS_TEXT[503], "content": {"application/json": {"schema": schema}}}
    return {
        "description": STATUS_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def build_document(version: str) -> dict[str, Any]:
    models = {op.body for op in REGISTRY.operations if op.body} | {op.query for op in REGISTRY.operations if op.query}
    ordered = sorted(models, key=lambda m: m.__name__)
    # Response models are described as they are serialised (the same models build the bodies).
    outputs = sorted({m for op in REGISTRY.operations if (m := _response_model(op))} - models, key=lambda m: m.__name__)
    found, schema = models_json_schema(
        [(model, "validation") for model in ordered] + [(model, "serialization") for model in outputs],
        ref_template="#/components/schemas/{model}",
    )
    # A generic page (``PagedPage[UnitOut]``) is named by pydantic, not by its ``__name__``.
    # A model that is also an input is described once, in its validation form.
    refs = {model: ref for (model, _mode), ref in found.items()}
    components = dict(schema.get("$defs", {}))
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for op in REGISTRY.operations:
        responses = {str(op.status): _success(op, refs)}
        for status in error_statuses(op):
            responses[str(status)] = _error(op, status, refs)
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{op.method}_{re.sub(r'[^a-zA-Z0-9]+', '_', op.path).strip('_')}",
            "tags": op.tags,
            "responses": responses,
        }
        if op.description:
            operation["description"] = op.description
        if op.auth:
            operation["security"] = [{"bearer": []}, {"session": []}]
        parameters = [path_parameter(name, converter) for name, converter in op.path_params]
        if op.query is not None:
            query_schema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}},
            }
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "atlas-coord API",
            "version": version,
            "description": "Crisis-response coordination for the special intervention units of the ATLAS "
            "network (Council Decision 2008/617/JHA). Errors are always "
            '{"error": {"code", "message", "fields"}}.',
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "atlas_session"},
            },
        },
    }
