"""Hostile input on every route, generated from the URL configuration like the permission matrix.

Each route of the permission matrix, and each admin changelist and add form, gets NUL, over-long,
deeply nested and out-of-range values in its query parameters and (routes with them) its path
parameters; API write operations also get them in a JSON body shaped by the operation's own OpenAPI
request schema. Supervisors and admins (who reach the most pages) send them. Whatever the answer, it
must not be a 5xx: a failure names the route.
"""

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.test_permission_matrix import ROUTES, World, world  # noqa: F401 (the world fixture)

ROLES = ("supervisor", "admin")
# Parameter names the pages and API filter on; a view ignores the ones it does not know.
PARAMETER_NAMES = ("q", "status", "number", "team", "agent", "category", "channel", "priority", "page",
                   "page_size", "cursor", "after", "date_from", "date_to", "from", "to", "grain", "dataset",
                   "store", "tag", "o", "p", "e", "next", "assignee", "customer", "type", "reason", "kind")
DEEP = 3000
HOSTILE_VALUES = {
    "nul": "a\x00b",
    "control": "a\x1b[31mb\x7f",
    "long": "长" * 5000,
    "nested": "[" * DEEP + "]" * DEEP,
    "year one": "0001-01-01T00:00:00",
    "huge number": "99999999999999999999999",
    "negative": "-1",
    "bidi": "invoice\u202efdp.exe",
}


# Path segments: NUL (percent-encoded, as a client sends it), out of every integer column's range,
# negative, over-long, and a bidi override.
HOSTILE_PATH_VALUES = {
    "nul": "a%00b",
    "huge number": "99999999999999999999999",
    "negative": "-1",
    "long": "%E9%95%BF" * 2000,
    "bidi": "invoice%E2%80%AEfdp.exe",
}
_PATH_PARAMETER = re.compile(r"<[^>]+>")


def _path_urls(pattern: str) -> Iterator[tuple[str, str]]:
    """(label, address) with every path parameter of the route pattern set to one hostile value."""
    if not _PATH_PARAMETER.search(pattern):
        return
    for label, value in HOSTILE_PATH_VALUES.items():
        yield label, "/" + _PATH_PARAMETER.sub(value, pattern)


def _query_urls(base: str, names: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(label, address) with every parameter name set to one hostile value."""
    for label, value in HOSTILE_VALUES.items():
        yield label, f"{base}?{urlencode(dict.fromkeys(names, value))}"


def _check(client: Client, method: str, url: str, label: str, failures: list[str], **kwargs: Any) -> None:
    try:
        response = getattr(client, method)(url, **kwargs)
    except Exception as error:  # the test client re-raises what a view raised: that is a 500
        failures.append(f"{method.upper()} {url[:80]} [{label}]: {type(error).__name__}: {str(error)[:120]}")
        return
    if response.status_code >= 500:
        failures.append(f"{method.upper()} {url[:80]} [{label}]: {response.status_code}")


@cache
def _openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = _openapi()["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in node["allOf"]:
            merged["properties"].update(_resolve(part).get("properties", {}))
        return merged
    return node


def hostile_instance(node: dict[str, Any], depth: int = 0) -> Any:
    """A value of the schema's shape with every leaf at an extreme: year 1, 2**70, 5,000 characters."""
    node = _resolve(node)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if depth > 4:
            return {}
        return {name: hostile_instance(prop, depth + 1) for name, prop in node.get("properties", {}).items()
                if not prop.get("readOnly")}
    if kind == "array":
        return [hostile_instance(node.get("items", {}), depth + 1)] * 3
    if kind == "integer":
        return 2**70
    if kind == "number":
        return 1e308
    if kind == "boolean":
        return True
    if node.get("format") == "date-time":
        return "0001-01-01T00:00:00"
    if node.get("format") == "date":
        return "0001-01-01"
    return "长" * 5000


def _operations_for(url: str) -> list[tuple[str, dict[str, Any]]]:
    path = url.split("?")[0]
    found = []
    for template, operations in _openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            found += [(method, operation) for method, operation in operations.items()
                      if method in ("get", "post", "put", "patch")]
    return found


def _api_bodies(operation: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "nested json", "[" * DEEP + "]" * DEEP
    yield "nested object", '{"a":' * DEEP + "1" + "}" * DEEP
    yield "nul json", json.dumps({"a\x00": "b\x00", "body": "x\x00", "subject": "\x00"})
    content: dict[str, Any] = operation.get("requestBody", {}).get("content", {})
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    schema = media.get("schema")
    if schema:
        yield "extreme values", json.dumps(hostile_instance(schema), ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(name for name in ROUTES if name != "admin/"))
def test_route_survives_hostile_input(world: World, name: str) -> None:  # noqa: F811 (the fixture)
    route = ROUTES[name]
    url = route.url(world)
    base, _sep, _query = url.partition("?")
    failures: list[str] = []
    for role in ROLES:
        client = world.client(role)
        operations = _operations_for(base) if base.startswith("/api/v1/") else []
        names = PARAMETER_NAMES + tuple(parameter["name"] for _method, operation in operations
                                        for parameter in operation.get("parameters", []) if parameter["in"] == "query")
        for label, address in _query_urls(base, names):
            _check(client, route.method.lower(), address, f"{role}, query {label}", failures)
        for label, address in _path_urls(name) if role == "admin" else ():  # a superuser reaches every view
            _check(client, route.method.lower(), address, f"{role}, path {label}", failures)
        for method, operation in operations:
            if method == "get":
                continue
            for label, body in _api_bodies(operation):
                _check(client, method, base, f"{role}, {label}", failures, data=body,
                       content_type="application/json")
        if not base.startswith("/api/") and route.method == "POST":
            for label, value in HOSTILE_VALUES.items():
                _check(client, "post", base, f"{role}, form {label}", failures,
                       data=dict.fromkeys(("body", "description", "subject", "reason", "note", "tag", "q"), value))
    assert not failures, f"{name}: server errors on hostile input:\n" + "\n".join(failures)


def _admin_pages() -> list[str]:
    return sorted(f"{model._meta.app_label}/{model._meta.model_name}" for model in admin.site._registry)


@pytest.mark.parametrize("model", _admin_pages())
def test_admin_pages_survive_hostile_input(client_for: Callable[[str], Client], model: str) -> None:
    """Filters and add-form initial values run their queries on an empty table as on a full one."""
    registered = {f"{m._meta.app_label}/{m._meta.model_name}": m for m in admin.site._registry}[model]
    names = PARAMETER_NAMES + tuple(field.name for field in registered._meta.get_fields())
    failures: list[str] = []
    for role in ("admin",):  # a superuser opens every admin page a supervisor does, and more
        client = client_for(role)
        for page in (f"/admin/{model}/", f"/admin/{model}/add/"):
            for label, address in _query_urls(page, names):
                _check(client, "get", address, f"{role}, query {label}", failures)
    assert not failures, f"admin {model}: server errors on hostile input:\n" + "\n".join(failures)
