"""Health, readiness and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from atlas_coord import __version__
from atlas_coord.serializers.system import HealthOut, LiveOut

from .core import endpoint
from .openapi import build_document

bp = Blueprint("system", __name__)


@endpoint(bp, "/healthz", summary="Liveness and database reachability", auth=False)
def healthz():
    """200 while the database answers, 503 (with Retry-After) when it does not."""
    database_ok = current_app.extensions["atlas_db"].ping()
    body = HealthOut.of(database_ok, __version__).wire()
    if not database_ok:
        return jsonify(body), 503, {"Retry-After": "5"}
    return body


@endpoint(bp, "/livez", summary="Liveness: the process answers", auth=False)
def livez():
    """Always 200 while the process can serve requests (no database check)."""
    return LiveOut(status="ok").wire()


@endpoint(bp, "/api/v1/openapi.json", summary="This OpenAPI 3.1 document", auth=False)
def openapi_document():
    """Generated from the same pydantic schemas that validate requests."""
    return build_document(__version__)
