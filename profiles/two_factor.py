"""Two-factor sign-in (TOTP, django-otp) for the staff roles, enforced for pages, the API and sockets.

Customers, merchant staff and integrators sign in with a password (integrators with a token); the
people who can see and change other people's data must also prove they hold their phone.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django_otp import DEVICE_ID_SESSION_KEY

from core.api import error_body
from profiles.roles import DESK_ROLES

# Pages a staff member may open before the second step: the step itself, signing out, language,
# assets and the machine endpoints.
_OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/i18n/", "/static/", "/healthz", "/metrics")


def requires_two_factor(user: Any) -> bool:
    if not settings.STAFF_TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_staff or user.role_names & {str(role) for role in DESK_ROLES})


class StaffTwoFactorMiddleware:
    """After OTPMiddleware: a staff session without a verified device reaches only the second step."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if (
            not request.path.startswith(_OPEN_PREFIXES)
            and requires_two_factor(user)
            and not user.is_verified()
        ):
            if request.path.startswith("/api/"):
                message = gettext("Finish two-factor sign-in at /accounts/2fa/ first.")
                return JsonResponse(error_body(code="two_factor_required", message=message), status=403)
            return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class TwoFactorSocketMiddleware:
    """Inside AuthMiddlewareStack: a staff socket whose session skipped the second step is anonymous,
    so every consumer refuses it as it refuses a signed-out browser."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if user is not None and await database_sync_to_async(requires_two_factor)(user):
            session = scope.get("session") or {}
            if not session.get(DEVICE_ID_SESSION_KEY):
                scope = {**scope, "user": AnonymousUser()}
        return await self.inner(scope, receive, send)
