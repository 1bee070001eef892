"""API throttles whose rates come from settings at request time.

A module of its own because DRF imports the throttle classes while defining APIView: anything that
imports `rest_framework.views` (like `core.api`) cannot hold them.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettingsMixin:
    """DRF binds THROTTLE_RATES once at import; reading them per request lets settings overrides apply."""

    scope: str | None

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        try:
            return rates[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from exc


class AnonRateThrottle(_RatesFromSettingsMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_RatesFromSettingsMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_RatesFromSettingsMixin, throttling.ScopedRateThrottle):
    """Rate from the view's `throttle_scope`; add it only to the actions that need the tighter budget."""
