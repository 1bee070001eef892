"""Production: HTTPS only, strict cookies, real keys. `manage.py check --deploy` passes with 0 warnings.

The development defaults of base.py (secret key, PII keys) are refused here, so a deployment that
forgot to set them fails at start-up instead of encrypting customer data with a published key.
"""

from django.core.exceptions import ImproperlyConfigured

from core.crypto import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEY_MATERIAL, parse_key_ring

from .base import *  # noqa: F403
from .base import PII_BLIND_INDEX_KEY, PII_ENCRYPTION_KEYS, SECRET_KEY, env

DEBUG = False
if SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("Set SECRET_KEY to a long random value in production.")
if PII_BLIND_INDEX_KEY == DEV_BLIND_INDEX_KEY:
    raise ImproperlyConfigured("Set PII_BLIND_INDEX_KEY to a random value in production (see .env.example).")
# Parsed here so a malformed key stops every process (daphne, celery) at start-up, not at first save.
parse_key_ring(PII_ENCRYPTION_KEYS)
if any(entry.partition(":")[2].strip() == DEV_ENCRYPTION_KEY_MATERIAL for entry in PII_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "PII_ENCRYPTION_KEYS holds the published development key: generate a real one (see .env.example)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer probes /healthz over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
