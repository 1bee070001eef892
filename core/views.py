"""Project-wide pages: the role-aware home redirect, health check and error pages."""

import hmac
import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from redis import Redis
from redis.exceptions import RedisError


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is."""
    user: Any = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(reverse("help:home"))
    if user.has_perm("profiles.use_desk"):
        return HttpResponseRedirect(reverse("desk:home"))
    if user.has_perm("profiles.use_merchant_portal"):
        return HttpResponseRedirect(reverse("merchant:home"))
    return HttpResponseRedirect(reverse("help:home"))


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers and crawlers ask for /favicon.ico whatever the page links; send them to the icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error", **{k: "ok" if v else "error" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


def metrics_allowed(request: HttpRequest) -> bool:
    """A scraper may read /metrics with `Authorization: Bearer <METRICS_TOKEN>` or from an address in
    METRICS_ALLOWED_IPS (addresses or networks, as Daphne sees the peer: behind a proxy that is the
    proxy's, so use the token there)."""
    token = settings.METRICS_TOKEN
    scheme, _space, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(allowed) for allowed in settings.METRICS_ALLOWED_IPS)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus figures (django-prometheus' exporter), for allowed scrapers only: they count business
    activity, which is nobody else's to read."""
    if not metrics_allowed(request):
        raise PermissionDenied
    return ExportToDjangoView(request)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_ok() -> bool:
    try:
        return bool(Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except (RedisError, OSError):
        return False


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A refused request (e.g. `BadRequest` raised for a forged cursor) names what was wrong with it."""
    # Only our own BadRequest messages are shown; Django's SuspiciousOperation texts are for the log.
    message = str(exception.args[0]) if isinstance(exception, BadRequest) and exception.args else ""
    return HttpResponse(loader.get_template("400.html").render({"message": message}), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: context processors may need the database that just failed. The
    # language chosen by LocaleMiddleware is still active, so the page is translated.
    return HttpResponse(loader.get_template("500.html").render({}), status=500)
