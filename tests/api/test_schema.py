"""The OpenAPI schema generates cleanly, and Swagger UI works offline from vendored static files."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_and_validates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    assert set(paths["/api/v1/customers/"]) == {"get", "post"}
    assert set(paths["/api/v1/customers/{id}/"]) == {"get"}
    assert set(paths["/api/v1/me/"]) == {"get", "patch"}  # customers change their marketing consent
    post = paths["/api/v1/customers/"]["post"]
    assert {"200", "201", "400", "401", "403", "422", "429"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert post["tags"] == ["customers"]
    filters = {p["name"] for p in paths["/api/v1/customers/"]["get"]["parameters"]}
    assert {"cursor", "page_size", "vip_level", "tag", "phone", "email"} <= filters
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    assert schema["components"]["schemas"]["Error"]["properties"]["error"]["$ref"].endswith("/ErrorDetail")


def test_schema_endpoint_serves_it(client_for: Any) -> None:
    response = client_for("anonymous").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/customers/" in response.json()["paths"]


def test_swagger_ui_loads_only_local_assets(client_for: Any) -> None:
    response = client_for("anonymous").get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the docs page must not reference any remote URL"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    # The start-up script is served by the docs view itself (no inline code, for the CSP).
    start_up = [asset for asset in assets if asset.startswith("/api/docs/?script")]
    assert len(start_up) == 1
    for asset in set(assets) - set(start_up):
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a vendored static file"
    script = client_for("anonymous").get(start_up[0]).content.decode()
    assert '"/api/schema/"' in script and not re.search(r"https?://", script)
