"""The OpenAPI 3.1 document, generated from the registered operations and their pydantic schemas."""

from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from .core import REGISTRY

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
            },
            "additionalProperties": True,
        }
    },
}


def build_document(version: str) -> dict[str, Any]:
    models = {op.body for op in REGISTRY.operations if op.body} | {op.query for op in REGISTRY.operations if op.query}
    ordered = sorted(models, key=lambda m: m.__name__)
    _, schema = models_json_schema(
        [(model, "validation") for model in ordered], ref_template="#/components/schemas/{model}"
    )
    components = dict(schema.get("$defs", {}))
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for op in REGISTRY.operations:
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{op.method}_{re.sub(r'[^a-zA-Z0-9]+', '_', op.path).strip('_')}",
            "tags": op.tags,
            "responses": {
                str(op.status): {
                    "description": "success",
                    "content": {"application/json": {"schema": op.response or {"type": ["object", "array"]}}},
                },
                "default": {
                    "description": "error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
        if op.description:
            operation["description"] = op.description
        if op.auth:
            operation["security"] = [{"bearer": []}, {"session": []}]
        parameters = []
        for name in re.findall(r"{(\w+)}", op.path):
            parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "integer"}})
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
