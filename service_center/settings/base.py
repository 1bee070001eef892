"""Settings for every environment, read from the process environment (see .env.example).

`production.py` adds the HTTPS hardening on top; `make run` sets DEBUG=1 for local work.
"""

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core import redis_config
from core.database import database_from_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A fixed development key keeps `make run` and the tests zero-config; production.py refuses it.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "core.admin_site.ServiceCenterAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core.third_party_apps.ObjectPermissionsConfig",
    "simple_history",
    "core.third_party_apps.PeriodicTasksConfig",
    "django_htmx",
    "core.third_party_apps.AxesConfig",
    "django_otp",
    "core.third_party_apps.TOTPConfig",
    "django_prometheus",
    "csp",
    "core.third_party_apps.WaffleConfig",
    "core",
    "profiles",
    "tickets",
    "chat",
    "aftersales",
    "knowledge",
    "quality",
    "desk",
    "reports",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The whole request reads the configuration's versions once (core.config_cache).
    "core.config_cache.ConfigScopeMiddleware",
    # Early, so it sees every response on the way out: no-store unless a public help-center page.
    "core.caching.PrivateByDefaultCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Control characters, oversized and over-deep JSON: refused before any view (and CSRF) reads the body.
    "core.input_guard.InputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (a session is read on the primary), before the views: marks report / search reads.
    "core.replica.ReplicaReadsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "profiles.two_factor.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it reads the outcome of authentication for the request.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Content-Security-Policy: every script and style is a file served from this site (no inline code,
# no CDN), so the policy can be strict; uploads are shown as blob: previews and data: thumbnails.
# 'self' covers same-origin ws:/wss: for the live pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "service_center.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "service_center.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "desk.context_processors.navigation",
            ],
        },
    },
]
# Django's form renderer with the plain input, textarea and select templates written in Python (core/form_rendering.py).
FORM_RENDERER = "core.form_rendering.FastWidgetRenderer"

DATABASES = {
    "default": database_from_url(env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/service_center"))
}
DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A pool of connections per web process (psycopg_pool through Django's "pool" option): under Daphne every request
# runs in a fresh thread, so without it each request opens a PostgreSQL connection (2-4 ms here) and closes it; with
# it a connection, and the statements core.prepared prepared on it, serve the next request. Turned on for the ASGI
# server only (the Procfiles say DATABASE_POOL=1): a process that forks after using the database (a Celery prefork
# worker, the test runner's live server) must not hand a pool's open sockets to its children.
if env.bool("DATABASE_POOL", default=False):
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured("DATABASE_POOL=1 needs CONN_MAX_AGE=0: the pool keeps the connections")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2), "max_size": env.int("DATABASE_POOL_MAX", default=10),
        # Seconds a request waits for a free connection before it fails (a 500, logged), instead of hanging.
        "timeout": env.float("DATABASE_POOL_TIMEOUT_S", default=10.0),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A streaming replica (pg_basebackup from the primary) for reads that tolerate a little lag: reports, exports,
# search (core/replica.py). Without DATABASE_REPLICA_URL there is one database and no change.
# connect_timeout bounds a replica that does not answer; the router then reads from the primary (logged,
# counted) and does not ask again for REPLICA_CHECK_INTERVAL_S.
REPLICA_MAX_LAG_S = env.float("REPLICA_MAX_LAG_S", default=5.0)
REPLICA_STICKY_S = env.int("REPLICA_STICKY_S", default=5)
REPLICA_CHECK_INTERVAL_S = env.float("REPLICA_CHECK_INTERVAL_S", default=2.0)
REPLICA_READ_PATHS = env.list("REPLICA_READ_PATHS", default=["/reports/", "/help/search/", "/desk/tickets/search/"])
if _replica_url := env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **database_from_url(_replica_url, setting="DATABASE_REPLICA_URL"),
        "ENGINE": DATABASES["default"]["ENGINE"], "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "ATOMIC_REQUESTS": False,
        # A persistent connection to a replica that restarted is dead: test it before reusing it.
        "CONN_HEALTH_CHECKS": True,
        # Tests see the primary through it: a test database is never replicated.
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("REPLICA_CONNECT_TIMEOUT_S",
                                                                                         default=2))
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CHANNEL_PREFIX = env.str("CHANNEL_PREFIX", default="sc-asgi")
# pytest-xdist gives each worker (PYTEST_XDIST_WORKER=gw<N>) its own test database; its Redis must be its own
# too, because tests clear the cache (FLUSHDB) and send to channel groups named after row ids that exist in
# every worker's database. Set here, before anything connects, so servers a test starts inherit it.
_XDIST_WORKER = re.fullmatch(r"gw(\d+)", env.str("PYTEST_XDIST_WORKER", default=""))
if _XDIST_WORKER is not None:
    REDIS_URL = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{int(_XDIST_WORKER.group(1)) % 15 + 1}"))
    CHANNEL_PREFIX = f"{CHANNEL_PREFIX}-{_XDIST_WORKER.group(0)}"

# Several channel-layer hosts (sharded) or a Sentinel-managed master: core/redis_config.py.
REDIS_SENTINELS = redis_config.parse_sentinels(env.str("REDIS_SENTINELS", default=""))
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="mymaster")
CHANNEL_REDIS_URLS = env.list("CHANNEL_REDIS_URLS", default=[])

CACHES = {
    "default": {
        # Django's, reusing one Redis client per connection pool (core/redis_cache.py).
        "BACKEND": "core.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="sc"),
        "OPTIONS": redis_config.cache_options(REDIS_SENTINELS, REDIS_SENTINEL_MASTER),
    }
}

# Redis pub/sub: a group send is one PUBLISH and each Daphne process fans it out to its own sockets.
# The list-based RedisChannelLayer cost about eleven Redis round trips per chat line (a sorted set per
# process, a Lua script per send, BZPOPMIN plus a backup clean-up per receive) and, at 100 lines/s on
# 1,000 sockets, kept one Daphne busy; tests/bench/test_chat_load_bench.py has the figures. Pub/sub
# delivers only to sockets subscribed at that moment; every push here is a live hint the clients
# repair on resume (chat/PROTOCOL.md), so nothing is lost that the database does not hold.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            # No socket timeout: redis-py 8's default (5 s) routes each call through Python 3.11's
            # asyncio.wait_for, which can swallow the cancel of a closing consumer; chat's consumers bound
            # their layer calls themselves (chat/consumers.py, LAYER_TIMEOUT_SECONDS).
            "hosts": redis_config.channel_layer_hosts(REDIS_URL, CHANNEL_REDIS_URLS, REDIS_SENTINELS,
                                                      REDIS_SENTINEL_MASTER),
            "prefix": CHANNEL_PREFIX,
        },
    }
}

AUTH_USER_MODEL = "profiles.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "profiles.permissions.CachedPermissionBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Staff roles (agents, supervisors, QA, admins) must pass a TOTP code after their password. On by
# default everywhere but `make run` (DEBUG), so the demo logins work without an authenticator app.
STAFF_TWO_FACTOR_REQUIRED = env.bool("STAFF_TWO_FACTOR_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "Service Center"
# Sessions end after a working shift, whatever the activity.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Read from the cache (Redis), written through to the database: every signed-in request used to start with a
# session SELECT. A cache miss or outage falls back to the row, so a flushed cache logs nobody out.
SESSION_ENGINE = "core.sessions"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: no anonymous user row; anonymous visitors simply have no object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock out a username + IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
# Public media only (nginx serves it under `make run-cluster`); private uploads have their own roots below.
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media" / "public"))
STATICFILES_DIRS = [BASE_DIR / "static"]

# PII encryption (core.crypto). The first key encrypts; every key decrypts.
# Format: "key_id:base64-of-32-bytes,older_id:base64...". The default is for development only.
PII_ENCRYPTION_KEYS = env.list(
    "PII_ENCRYPTION_KEYS", default=["dev1:ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="]
)
PII_BLIND_INDEX_KEY = env.str("PII_BLIND_INDEX_KEY", default="dev-only-blind-index-key")
PII_VIEW_PERMISSION = "profiles.view_pii"

# Who may scrape /metrics: a bearer token, or peers in these addresses / networks (e.g. 10.0.0.0/8).
# Neither set: nobody (403).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Parsed here so a typo stops the start-up instead of failing each scrape.
METRICS_ALLOWED_IPS = [str(ipaddress.ip_network(value, strict=False))
                       for value in env.list("METRICS_ALLOWED_IPS", default=[])]

# The input guard (core/input_guard.py): JSON bodies above this size are a 413, deeper
# nesting a 400, both judged before parsing. Our largest documents (orders with items) nest 4 deep.
JSON_BODY_MAX_BYTES = env.int("JSON_BODY_MAX_BYTES", default=1024 * 1024)
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # drf-spectacular's, plus the error responses every operation shares (core/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.schema.ContractAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Form and multipart bodies refused by the input guard's rule, with the field named (core/input_guard.py).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.parsing.CheckedContentNegotiation",
    # These classes read the rates per request, so settings overrides apply without a restart.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        # Integrator writes get their own budget.
        "integrations": env.str("API_THROTTLE_INTEGRATIONS", default="120/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Service Center API",
    "DESCRIPTION": "Customers, tickets and after-sales for integrators.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "tickets.api.desk_only_fields_optional",
                             "core.schema.refuse_control_characters",
                             "core.schema.describe_errors"],
    # Group operations by resource ("customers", "me") rather than by the version segment.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
}

CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = redis_config.celery_broker(
    REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTER)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
# One beat whatever the number of beat processes: the scheduler leads only while it holds a PostgreSQL
# advisory lock; the others stand by and take over when the leader's connection goes (core/beat.py).
CELERY_BEAT_SCHEDULER = "core.beat:LeaderDatabaseScheduler"

# Named queues, so each can have workers sized on its own and a long export never holds up a presence
# sweep or an escalation. Every task has a route (tests/core/test_task_routes.py fails otherwise); a task
# without one would wait in Celery's default queue, which no worker here consumes.
TASK_QUEUES: dict[str, list[str]] = {
    "realtime": [  # seconds matter: presence, chat assignment, and the outbox relay every other task waits on
        "profiles.tasks.mark_stale_agents_away", "core.tasks.sweep_outbox", "chat.tasks.assign_waiting",
    ],
    "intake": [  # customers' messages coming in, and their media
        "tickets.tasks.poll_mailboxes", "tickets.tasks.fetch_wechat_media", "tickets.tasks.fetch_call_recording",
        "chat.tasks.transcribe_voice",
    ],
    "notify": [  # messages going out: e-mail, channel replies, webhooks, notices
        "tickets.tasks.send_email", "tickets.tasks.send_outbound", "tickets.tasks.send_due_outbound",
        "tickets.tasks.deliver_notifications", "tickets.tasks.send_side_message",
        "core.tasks.deliver_webhook", "core.tasks.sweep_webhooks",
        "core.tasks.send_email", "core.tasks.send_sms",
        "aftersales.tasks.notify_customer", "knowledge.tasks.email_review_needed",
        "reports.tasks.send_scheduled_reports",
    ],
    "sla": [  # timers and the steps they take: SLA, deadlines, escalation, refunds, complaint sync
        "tickets.tasks.sweep_sla", "tickets.tasks.escalate_ticket", "tickets.tasks.run_triggers",
        "aftersales.tasks.sweep_deadlines",
        "aftersales.tasks.execute_refund", "aftersales.tasks.reconcile_refunds", "aftersales.tasks.add_ticket_notes",
        "aftersales.tasks.resolve_complaint", "aftersales.tasks.sync_complaint_rating",
        "knowledge.tasks.sweep_article_schedule",
    ],
    "bulk": [  # long batch work: exports, rollups, segments, nightly jobs, backups
        "reports.tasks.run_export", "reports.tasks.rollup_yesterday", "aftersales.tasks.segment_customers",
        "profiles.tasks.apply_tag_rules", "knowledge.tasks.draft_faqs_nightly",
        "core.tasks.daily_backup", "tickets.tasks.run_bulk_job",
    ],
}
CELERY_TASK_ROUTES = {task: {"queue": queue} for queue, tasks in TASK_QUEUES.items() for task in tasks}

# Outgoing mail (ticket and after-sales notices). The default prints mail to the console, so a
# development machine never needs an SMTP server; production sets smtp+tls://user:pass@host:587.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Service Center <service@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Nightly `pg_dump` backups (core/backups.py) and how long they are kept.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "var" / "backups")
BACKUP_RETENTION_DAYS = env.int("BACKUP_RETENTION_DAYS", default=90)

# Presence (profiles.services): a desk tab whose heartbeat (every 30 s) is older than this counts as
# closed; a closed socket lingers this many seconds (a page change reconnects within them); an agent
# who chose "online" and used no tab for this long is shown away.
PRESENCE_STALE_AFTER_SECONDS = env.int("PRESENCE_STALE_AFTER_SECONDS", default=120)
PRESENCE_CLOSE_GRACE_SECONDS = env.int("PRESENCE_CLOSE_GRACE_SECONDS", default=15)
PRESENCE_IDLE_AWAY_SECONDS = env.int("PRESENCE_IDLE_AWAY_SECONDS", default=600)

# --- After-sales (aftersales app) ---
# Hours the store has to review a request before it is auto-approved (refund only) or escalated.
AFTERSALES_REVIEW_HOURS = env.int("AFTERSALES_REVIEW_HOURS", default=48)
# Days the customer has to enter the return tracking number before the request closes.
AFTERSALES_RETURN_DAYS = env.int("AFTERSALES_RETURN_DAYS", default=7)
AFTERSALES_MAX_IMAGES = env.int("AFTERSALES_MAX_IMAGES", default=9)
AFTERSALES_MAX_IMAGE_BYTES = env.int("AFTERSALES_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
# Dotted path of the refund gateway class (an aftersales.payments.PaymentGateway).
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="aftersales.payments.FakeGateway")
# Shared secret of the logistics provider's webhook (HMAC-SHA256 of the body); empty refuses every call.
LOGISTICS_WEBHOOK_SECRET = env.str("LOGISTICS_WEBHOOK_SECRET", default="")
# Dotted path of the SMS sender for after-sales notices (an aftersales.notifications.SmsSender).
SMS_BACKEND = env.str("SMS_BACKEND", default="core.sms.FakeSms")
# For SMS_BACKEND=core.sms.HttpSms: the provider's send endpoint, key and signature name.
SMS_API_URL = env.str("SMS_API_URL", default="")
SMS_API_KEY = env.str("SMS_API_KEY", default="")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="服务中心")
SMS_API_TIMEOUT_SECONDS = env.int("SMS_API_TIMEOUT_SECONDS", default=10)
# One OpenAPI enum per after-sales choice set, whatever the field is called.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),  # type: ignore[dict-item]
    "AfterSalesStatusEnum": "aftersales.models.Status",
    "OrderStatusEnum": "aftersales.models.Order.Status",
    "CourierEnum": "aftersales.models.Courier",
    "RefundStatusEnum": "aftersales.models.Refund.Status",
}

# --- knowledge ---
# Empty: search runs on PostgreSQL full-text. Set (http://es.internal:9200): Elasticsearch serves it.
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="")
# The bot answers on its own only at or above this confidence (0 to 1); below, the question is logged.
KNOWLEDGE_BOT_MIN_CONFIDENCE = env.float("KNOWLEDGE_BOT_MIN_CONFIDENCE", default=0.5)
# Article images: largest upload accepted in bytes, and most pixels (checked from the header, before
# decoding, so a small file that decompresses into a huge bitmap is refused).
KNOWLEDGE_IMAGE_MAX_BYTES = env.int("KNOWLEDGE_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
KNOWLEDGE_IMAGE_MAX_PIXELS = env.int("KNOWLEDGE_IMAGE_MAX_PIXELS", default=40_000_000)

# --- reports ---
# Finished CSV / XLSX exports: private (downloaded by their owner only), outside MEDIA_ROOT.
REPORTS_EXPORT_ROOT = env.path("REPORTS_EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports"))
# Rows an export writes between progress updates (and reads per database round trip).
REPORTS_EXPORT_BATCH = env.int("REPORTS_EXPORT_BATCH", default=2000)

# --- tickets ---
# Ticket attachments are private and live outside MEDIA_ROOT.
TICKETS_MEDIA_ROOT = env.path("TICKETS_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media" / "tickets"))
# Largest attachment accepted on a ticket message, in bytes.
TICKETS_ATTACHMENT_MAX_BYTES = env.int("TICKETS_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# How long a satisfaction-survey link stays valid, in days.
TICKETS_SURVEY_LINK_DAYS = env.int("TICKETS_SURVEY_LINK_DAYS", default=30)
# E-mail channel (tickets/channels/email/): largest raw mail the inbound endpoint reads; mails a sender may
# send per hour before further ones are held (not turned into tickets); IMAP poll timeout and batch.
EMAIL_INBOUND_MAX_BYTES = env.int("EMAIL_INBOUND_MAX_BYTES", default=40 * 1024 * 1024)
EMAIL_INBOUND_PER_SENDER_PER_HOUR = env.int("EMAIL_INBOUND_PER_SENDER_PER_HOUR", default=20)
EMAIL_IMAP_TIMEOUT_SECONDS = env.int("EMAIL_IMAP_TIMEOUT_SECONDS", default=30)
EMAIL_IMAP_BATCH = env.int("EMAIL_IMAP_BATCH", default=200)
# Mails of one poll stored in one transaction (one commit, which waits for its WAL flush, instead of one per mail);
# their locks (Message-ID, sender, the day's ticket counter) are held until that commit.
EMAIL_IMAP_MAILS_PER_COMMIT = env.int("EMAIL_IMAP_MAILS_PER_COMMIT", default=20)
# Quarantine alert (core/quarantine_alerts.py): supervisors are mailed once per window
# when at least this many new messages of any channel were quarantined within it.
QUARANTINE_ALERT_THRESHOLD = env.int("QUARANTINE_ALERT_THRESHOLD", default=10)
QUARANTINE_ALERT_WINDOW_SECONDS = env.int("QUARANTINE_ALERT_WINDOW_SECONDS", default=3600)

# --- tickets desk: API, workbench, webhooks ---
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"],  # type: ignore[dict-item]
    "TicketStatusEnum": "tickets.models.Status",
    "TicketMessageKindEnum": "tickets.models.TicketMessage.Kind",
}
# Outgoing webhooks (core/webhooks.py): HTTP timeout, attempts before "failed",
# and the exponential backoff between attempts (base doubling per attempt, capped).
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)

# --- chat ---
# Chat uploads are private (served after a membership check) and live outside MEDIA_ROOT.
CHAT_MEDIA_ROOT = env.path("CHAT_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media" / "chat"))
CHAT_IMAGE_MAX_BYTES = env.int("CHAT_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
CHAT_FILE_MAX_BYTES = env.int("CHAT_FILE_MAX_BYTES", default=20 * 1024 * 1024)
CHAT_VIDEO_MAX_BYTES = env.int("CHAT_VIDEO_MAX_BYTES", default=30 * 1024 * 1024)
CHAT_VOICE_MAX_SECONDS = env.int("CHAT_VOICE_MAX_SECONDS", default=60)
# Compressed voice clips are not decoded: this bitrate ceiling turns the duration cap into a size cap.
CHAT_VOICE_MAX_BYTES_PER_SECOND = 32 * 1024
CHAT_VOICE_MAX_BYTES = CHAT_VOICE_MAX_SECONDS * CHAT_VOICE_MAX_BYTES_PER_SECOND + 1024
# Dotted path of a speech-to-text adapter class (see chat/speech.py); empty: voice is not transcribed.
CHAT_SPEECH_TO_TEXT = env.str("CHAT_SPEECH_TO_TEXT", default="")
CHAT_MESSAGE_MAX_CHARS = 2000
# The assistant hands a conversation to a person after this many questions it could not answer.
CHAT_BOT_MAX_MISSES = 2
# The queue's wait estimate per place until there are assigned chats to learn it from (chat.selectors).
CHAT_WAIT_PER_PLACE_SECONDS = env.int("CHAT_WAIT_PER_PLACE_SECONDS", default=120)
# Per WebSocket connection: largest frame, and frames allowed per 10 seconds before error frames.
CHAT_SOCKET_MAX_FRAME_BYTES = 16 * 1024
CHAT_SOCKET_FRAMES_PER_10S = env.int("CHAT_SOCKET_FRAMES_PER_10S", default=60)
# "typing" is relayed at most once per this many seconds per connection.
CHAT_TYPING_THROTTLE_SECONDS = 2.0
# The widget on other sites (/help/chat/embed.js): origins allowed to frame it (CSP frame-ancestors,
# e.g. "https://shop.example.com"; empty: nobody), and how long a signed customer token is good for.
CHAT_EMBED_ORIGINS = env.list("CHAT_EMBED_ORIGINS", default=[])
CHAT_EMBED_TOKEN_MAX_AGE = env.int("CHAT_EMBED_TOKEN_MAX_AGE", default=300)
# A frame on an unrelated domain gets the session only with SameSite=None ("None"; HTTPS only).
SESSION_COOKIE_SAMESITE = env.str("SESSION_COOKIE_SAMESITE", default="Lax")
CSRF_COOKIE_SAMESITE = env.str("CSRF_COOKIE_SAMESITE", default="Lax")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # flufl.bounce logs each detector it runs (INFO) and a traceback when one fails on odd mail before it
    # re-raises; tickets.channels.email.automatic logs that failure once, so the library's own lines are noise.
    "loggers": {"flufl.bounce": {"level": "CRITICAL"}},
}

# --- Outbox (core/queueing.py): how background work is retried ---
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
# A sent message no worker has finished within this is sent again (the run lease must outlast the longest task).
OUTBOX_SEND_LEASE_SECONDS = env.int("OUTBOX_SEND_LEASE_SECONDS", default=15 * 60)
OUTBOX_RUN_LEASE_SECONDS = env.int("OUTBOX_RUN_LEASE_SECONDS", default=2 * 3600)
OUTBOX_SWEEP_BATCH = env.int("OUTBOX_SWEEP_BATCH", default=500)
OUTBOX_KEEP_DONE_DAYS = env.int("OUTBOX_KEEP_DONE_DAYS", default=7)

# Garbage collector of the web and worker processes (core/gc_tuning.py): start-up objects are
# frozen, and a young collection runs every 50,000 net allocations instead of Python's 700; the older
# generations keep their ratios. "GC_THRESHOLDS=700,10,10" restores Python's defaults.
GC_THRESHOLDS = tuple(int(part) for part in env.list("GC_THRESHOLDS", default=["50000", "20", "20"]))
