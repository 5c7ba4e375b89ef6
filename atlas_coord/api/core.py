"""The edge's machinery: one decorator validates input with pydantic, checks sign-in, and
registers the operation in the OpenAPI document generated from the same schemas."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from flask import Blueprint, g, jsonify, request
from pydantic import BaseModel, ValidationError

from atlas_coord.policy import Actor
from atlas_coord.schemas import MAX_INT
from atlas_coord.services.errors import ServiceError, Unauthenticated


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    tags: list[str]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    auth: bool
    status: int
    response: dict[str, Any] | None
    description: str = ""
    errors: tuple[int, ...] = ()
    name: str = ""
    path_params: tuple[tuple[str, str], ...] = ()
    """``(name, converter)`` in path order; the converter is Flask's (``int``, ``string``, ...)."""


@dataclass
class Registry:
    operations: list[Operation] = field(default_factory=list)


REGISTRY = Registry()


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None, **extra: Any):
    body: dict[str, Any] = {"error": {"code": code, "message": message, "fields": fields or {}}}
    body["error"].update({k: v for k, v in extra.items() if v is not None})
    return jsonify(body), status


def error_json(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    """The same error body as :func:`error_response`, as a ready Response (for after_request hooks)."""
    response, _ = error_response(status, code, message, fields)
    response.status_code = status
    return response


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validation_error(exc: ValidationError, *, prefix: str = ""):
    """422 with each bad field's message, and its error type (pydantic's, e.g. ``float_parsing``,
    ``string_too_short``) in ``types``, from which a client words its own plain sentence."""
    fields: dict[str, str] = {}
    types: dict[str, str] = {}
    for item in exc.errors():
        loc = item["loc"]
        # pydantic puts the failing model validator's errors at the model root.
        name = _field_name(loc) if loc else (prefix or "body")
        if name not in fields:
            fields[name] = item["msg"].removeprefix("Value error, ")
            types[name] = item["type"]
    first = next(iter(fields.items()))
    return error_response(422, "validation_error", f"{first[0]}: {first[1]}", fields, types=types)


# Ids are INTEGER columns (int4 on PostgreSQL): a larger id in a path names nothing, and
# PostgreSQL would refuse to compare it ("integer out of range").
MAX_ID = MAX_INT
_RULE_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def path_params(rule: str) -> tuple[tuple[str, str], ...]:
    """The rule's variables with their Flask converter: ``<int:id>`` -> ``("id", "int")``, ``<x>`` -> string."""
    return tuple((name, converter or "string") for converter, name in _RULE_PARAM.findall(rule))


def _nul_field(value: Any, path: str) -> str | None:
    """The first field (dotted path) of a JSON value holding a NUL character, which no text column stores."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return name
            found = _nul_field(item, name)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_field(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def _nul_error(name: str):
    return error_response(422, "validation_error", f"{name}: must not contain NUL characters",
                          {name: "must not contain NUL characters"})


def current_actor() -> Actor:
    actor = getattr(g, "actor", None)
    if actor is None:
        raise Unauthenticated("sign in, or send Authorization: Bearer <token>")
    return actor


class _Refused(Exception):
    """An input refused before the view runs; carries the error response to send."""

    def __init__(self, response) -> None:
        super().__init__()
        self.response = response


def _check_path_args(path_args: dict[str, Any]) -> None:
    """:raise _Refused: an id too large to exist (404), or a NUL character in a path part (422)."""
    for name, value in path_args.items():
        if isinstance(value, int) and value > MAX_ID:
            raise _Refused(error_response(404, "not_found", f"no {name.removesuffix('_id')} {value}", {name: "no such id"}))
        if isinstance(value, str) and "\x00" in value:
            raise _Refused(_nul_error(name))


def _validate(model: type[BaseModel], raw: Any) -> BaseModel:
    """:raise _Refused: a NUL character anywhere in ``raw``, or a field the model refuses (422)."""
    bad = _nul_field(raw, "")
    if bad:
        raise _Refused(_nul_error(bad))
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _Refused(validation_error(exc)) from None


def _query_args() -> dict[str, Any]:
    """The query string as a dict; a repeated key becomes a list."""
    return {key: values if len(values) > 1 else values[0] for key, values in request.args.lists()}


# No request body of this API nests beyond a few levels; the limit keeps a hostile body from
# exhausting the parser's recursion (a RecursionError, i.e. a 500, at about 1,000 levels).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(raw: bytes) -> int:
    """How deeply the JSON text ``raw`` nests arrays and objects, found without parsing and
    without recursion: the brackets outside strings, counted in C-speed passes."""
    brackets = _JSON_STRING.sub(b'""', raw).translate(None, _NOT_BRACKET)
    return max(accumulate(_BRACKET_STEP[b] for b in brackets), default=0)


def _json_body() -> dict[str, Any]:
    """:raise _Refused: the body is not JSON (415), nests deeper than ``MAX_JSON_DEPTH`` or is
    not a JSON object (400). (A body over ``server.max_body_bytes`` is a 413 before this.)"""
    if not request.is_json:
        raise _Refused(error_response(415, "unsupported_media_type", "send the body as application/json", {"body": "expected JSON"}))
    if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
        raise _Refused(error_response(400, "bad_json", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels",
                                      {"body": f"nested deeper than {MAX_JSON_DEPTH} levels"}))
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise _Refused(error_response(400, "bad_json", "the body must be a JSON object", {"body": "not a JSON object"}))
    return payload


def _view_arguments(op: Operation, path_args: dict[str, Any], query, body) -> dict[str, Any]:
    """The view's keyword arguments: the path's, and ``query``/``body`` validated, in the order
    the errors are reported (path, sign-in, query, body).

    :raise _Refused: an invalid input.
    :raise Unauthenticated: the operation needs a signed-in user and there is none.
    """
    _check_path_args(path_args)
    if op.auth:
        current_actor()
    kwargs: dict[str, Any] = dict(path_args)
    if query is not None:
        kwargs["query"] = _validate(query, _query_args())
    if body is not None:
        kwargs["body"] = _validate(body, _json_body())
    return kwargs


def _jsonify(result: Any, status: int):
    """A dict or list becomes a JSON response with the operation's status; anything else is a response already."""
    if isinstance(result, tuple) or not isinstance(result, (dict, list)):
        return result
    return jsonify(result), status


def endpoint(
    bp: Blueprint,
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    auth: bool = True,
    status: int = 200,
    response: dict[str, Any] | None = None,
    errors: tuple[int, ...] = (),
) -> Callable:
    """Register a JSON endpoint. The view receives ``body=`` and/or ``query=`` as validated models."""

    def decorator(view: Callable) -> Callable:
        op = Operation(
            path=(bp.url_prefix or "") + _RULE_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule),
            method=method.lower(),
            summary=summary,
            description=(view.__doc__ or "").strip(),
            tags=[bp.name],
            body=body,
            query=query,
            auth=auth,
            status=status,
            response=response,
            errors=errors,
            name=f"{bp.name}.{view.__name__}",
            path_params=path_params(rule),
        )

        @functools.wraps(view)
        def wrapper(**path_args: Any):
            try:
                kwargs = _view_arguments(op, path_args, query, body)
            except _Refused as refused:
                return refused.response
            return _jsonify(view(**kwargs), status)

        REGISTRY.operations.append(op)
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapper, methods=[method])
        return wrapper

    return decorator


def handle_service_error(exc: ServiceError):
    extra = dict(exc.extra)
    return error_response(exc.status, exc.code, exc.message, exc.fields, **extra)
