"""Production settings pass Django's deploy checks and refuse the development secrets."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from core.crypto import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEY_MATERIAL

REPO = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
# Variables a developer may have exported that would change what production settings see.
SCRUBBED = ("DEBUG", "SECRET_KEY", "PII_ENCRYPTION_KEYS", "PII_BLIND_INDEX_KEY", "ALLOWED_HOSTS",
            "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")


def _production_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    env.update(
        DJANGO_SETTINGS_MODULE="service_center.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        PII_ENCRYPTION_KEYS=f"prod2026:{base64.b64encode(os.urandom(32)).decode()}",
        PII_BLIND_INDEX_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="service.example.com",
        CSRF_TRUSTED_ORIGINS="https://service.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/service_center"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_check_deploy_passes_without_a_single_warning() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "Set SECRET_KEY"),
        ({"PII_ENCRYPTION_KEYS": f"dev1:{DEV_ENCRYPTION_KEY_MATERIAL}"}, "published development key"),
        # Renaming the development key does not make it secret.
        ({"PII_ENCRYPTION_KEYS": f"prod:{base64.b64encode(os.urandom(32)).decode()},old:{DEV_ENCRYPTION_KEY_MATERIAL}"},
         "published development key"),
        ({"PII_BLIND_INDEX_KEY": DEV_BLIND_INDEX_KEY}, "Set PII_BLIND_INDEX_KEY"),
        ({"PII_ENCRYPTION_KEYS": "prod:dG9vLXNob3J0"}, "must be 32 (AES-256)"),
        # Django would refuse it at the first query; this says why at start-up.
        ({"DATABASE_POOL": "1", "CONN_MAX_AGE": "60"}, "DATABASE_POOL=1 needs CONN_MAX_AGE=0"),
    ],
    ids=["secret-key", "pii-key", "renamed-pii-key", "blind-index-key", "malformed-pii-key", "pool-and-kept"],
)
def test_production_refuses_development_or_broken_secrets(override: dict[str, str], message: str) -> None:
    result = _manage("check", env=_production_env(**override))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr[-2000:]


def test_env_example_documents_every_setting_read_from_the_environment() -> None:
    example = (REPO / ".env.example").read_text()
    documented = {line.split("=", 1)[0].lstrip("# ").strip() for line in example.splitlines() if "=" in line}
    settings_source = "".join(path.read_text() for path in (REPO / "service_center" / "settings").glob("*.py"))
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", settings_source))
    assert read, "no env reads found: has the settings style changed?"
    assert read <= documented, f"undocumented in .env.example: {sorted(read - documented)}"
