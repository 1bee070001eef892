"""One guard for what every request carries before any view sees it.

PostgreSQL refuses NUL in text and nothing downstream expects other control characters, so they are
refused at the door with a 400 naming the parameter, instead of escaping later as a 500 from the
database (admin filters, form initial values, API filters). JSON bodies are checked for size and
nesting depth on the raw bytes, before anything parses them: a body nested thousands deep would
otherwise end in a RecursionError inside the JSON decoder or a serializer. The rule itself is
core.input_rules; the API's form bodies are checked by core.parsing.
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.utils.translation import gettext

from core.api import error_body
from core.input_rules import (
    CONTROL_IN_HEADER,
    CONTROL_IN_NAME,
    JSON_CONTROL_ESCAPE,
    Refusal,
    control_character_path,
    control_message,
    json_too_deep,
    pairs_refusal,
)

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _headers_refusal(request: HttpRequest) -> Refusal | None:
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and CONTROL_IN_HEADER.search(value):
            return Refusal(field=key[5:].replace("_", "-").title(), message=control_message())
    return None


def _json_refusal(request: HttpRequest) -> Refusal | None:
    limit = settings.JSON_BODY_MAX_BYTES
    too_large = Refusal(field="non_field_errors", status=413, code="too_large",
                        message=gettext("The JSON body is larger than %(limit)d bytes.") % {"limit": limit})
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return too_large
    except ValueError:
        return Refusal(field="Content-Length", message=gettext("The Content-Length header is not a number."))
    body = request.body
    if len(body) > limit:
        return too_large
    if json_too_deep(body, settings.JSON_MAX_DEPTH):
        return Refusal(field="non_field_errors", code="too_deep", message=gettext(
            "The JSON body nests deeper than the allowed depth of %(depth)d.") % {"depth": settings.JSON_MAX_DEPTH})
    if JSON_CONTROL_ESCAPE.search(body) is None:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # malformed JSON is the parser's to report
    path = control_character_path(document)
    return None if path is None else Refusal(field=path, message=control_message())


def _body_refusal(request: HttpRequest) -> Refusal | None:
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        return _json_refusal(request)
    if request.method == "POST" and content_type in _FORM_TYPES and not request.path_info.startswith("/api/"):
        # Django parses the form once here and the view reuses request.POST / FILES. The API's forms are
        # DRF's to parse (or refuse with a 415), and CheckedContentNegotiation checks them there.
        return pairs_refusal(request.POST.lists())
    return None


def request_refusal(request: HttpRequest) -> Refusal | None:
    """The first reason to refuse this request, or None."""
    if CONTROL_IN_NAME.search(request.path_info):
        return Refusal(field="path", message=control_message())
    try:
        return (pairs_refusal(request.GET.lists()) or _headers_refusal(request) or _body_refusal(request))
    except RequestDataTooBig:
        return Refusal(field="non_field_errors", status=413, code="too_large",
                       message=gettext("The request body is too large."))
    except (TooManyFieldsSent, TooManyFilesSent, MultiPartParserError) as error:
        return Refusal(field="non_field_errors", message=str(error))


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The API's error shape under /api/, the plain error page elsewhere."""
    if request.path_info.startswith("/api/"):
        message = refusal.message if refusal.field == "non_field_errors" else f"{refusal.field}: {refusal.message}"
        return JsonResponse(error_body(code=refusal.code, message=message,
                                       fields={refusal.field: [refusal.message]}), status=refusal.status)
    page = loader.get_template("400.html").render({"field": refusal.field, "message": refusal.message,
                                                    "status": refusal.status})
    return HttpResponse(page, status=refusal.status)


class InputGuardMiddleware:
    """Refuses control characters in the path, parameters, headers and form or JSON bodies, and JSON
    bodies that are too large or too deep, before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = request_refusal(request)
        if refusal is not None:
            return refusal_response(request, refusal)
        return self.get_response(request)
