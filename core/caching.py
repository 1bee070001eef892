"""Who may keep a copy of a response: one rule for the whole site.

Everything is `Cache-Control: no-store` (Django's never-cache headers) unless it is one of the public
help-center addresses below: desk, customer, after-sales and merchant pages, reports, exports, admin and
the whole API show personal data, and a shared browser or proxy must keep none of it. The public pages
stay cacheable for anonymous visitors; for a signed-in person they are `private` (the header shows their
name), so only their own browser keeps them, unless the view chose its own Cache-Control (article images
say `public` for public articles themselves).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

PUBLIC_PATHS = frozenset({"/help/", "/help/chat/embed.js"})
PUBLIC_PREFIXES = ("/help/search/", "/help/suggest/", "/help/categories/", "/help/articles/", "/help/images/",
                   "/static/", "/api/schema/", "/api/docs/")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)  # absent when an earlier middleware answered
    return user is not None and user.is_authenticated


class PrivateByDefaultCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_public(request.path_info):
            add_never_cache_headers(response)
        elif _signed_in(request) and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True)
        return response
