"""The chat widget on another site: a script tag, an iframe, and a signed customer token.

The shop's server asks `POST /api/v1/chat/embed-tokens/` for a token bound to its customer's
external_id (profiles.CustomerProfile.external_id) and prints it into the script tag; the iframe
page signs that customer in. Tokens are signed with the site's SECRET_KEY (django.core.signing,
their own salt) and expire after `CHAT_EMBED_TOKEN_MAX_AGE` seconds, so one copied out of a page
stops working soon. Pages may be framed only by the origins in `CHAT_EMBED_ORIGINS`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponseBase

from chat import selectors
from profiles.models import User

SALT = "chat.embed-token"


def token_for(*, external_id: str) -> str:
    return signing.dumps({"customer": external_id}, salt=SALT)


def customer_for(token: str) -> User | None:
    """The active customer the token names, or None when it is forged, expired or names nobody."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.CHAT_EMBED_TOKEN_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    external_id = payload.get("customer") if isinstance(payload, dict) else None
    if not isinstance(external_id, str) or not external_id:
        return None
    return selectors.embed_customer(external_id)


def framable(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Let the configured sites frame this page: the global policy says frame-ancestors 'none'.

    Read per request, so the allow-list is whatever the settings say now; with none configured the
    page stays unframable (the global policy and X-Frame-Options apply).
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        origins = list(settings.CHAT_EMBED_ORIGINS)
        if not origins:
            return response
        response.xframe_options_exempt = True  # type: ignore[attr-defined]  # read by XFrameOptionsMiddleware
        return csp_replace({"frame-ancestors": ["'self'", *origins]})(lambda _r: response)(request)

    return wrapped
