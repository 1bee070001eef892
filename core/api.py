"""API conventions shared by every app: one error shape, keyset (cursor) pagination, the error type."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import code_for, status_for
from core.keyset import Keyset, KeysetPage, Position


class KeysetPagination(BasePagination):
    """The API's one paginator, core.keyset's seek method: `?cursor=` (from a `next` / `previous` link) and
    `?page_size=` (1 to 200); the body is `{"next", "previous", "results"}` with no COUNT(*). A view's own
    subclass may set `ordering` (all ascending or all descending, the last field unique) and `page_size`."""

    ordering: str | tuple[str, ...] = "-id"
    page_size: int | None = None  # None: REST_FRAMEWORK["PAGE_SIZE"]
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    max_page_size = 200

    def __init__(self) -> None:
        self.page: KeysetPage[Any] | None = None
        self.base_url = ""

    def keyset(self) -> Keyset:
        return Keyset((self.ordering,) if isinstance(self.ordering, str) else tuple(self.ordering))

    def get_page_size(self, request: Any) -> int:
        """A page_size that is not a whole number from 1 to 200 is a 400 naming the parameter."""
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return int(self.page_size or api_settings.PAGE_SIZE or self.max_page_size)
        if not (given.isascii() and given.isdigit() and 1 <= int(given) <= self.max_page_size):
            message = gettext("page_size must be a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ApplicationError(message, code="invalid", fields={self.page_size_query_param: [message]})
        return int(given)

    def position(self, request: Any, model: type[Model]) -> Position | None:
        """Where the request's cursor stands (None: the first page); a cursor that does not decode is a 400
        naming the parameter."""
        cursor = request.query_params.get(self.cursor_query_param, "")
        if not cursor:
            return None
        position = self.keyset().position(model, cursor)
        if position is None:
            message = gettext("The cursor is not valid; start again from the first page.")
            raise ApplicationError(message, code="invalid", fields={self.cursor_query_param: [message]})
        return position

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        limit = self.get_page_size(request)
        position = self.position(request, queryset.model)
        self.base_url = request.build_absolute_uri()
        self.page = self.keyset().page(queryset, key=position.key if position else None, limit=limit,
                                       backward=bool(position and position.backward))
        return self.page.rows

    def _link(self, cursor: str | None) -> str | None:
        return None if cursor is None else replace_query_param(self.base_url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None, "paginate_queryset first"
        return Response({"next": self._link(self.page.next_cursor),
                         "previous": self._link(self.page.previous_cursor), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        def link(description: str) -> dict[str, Any]:
            return {"type": "string", "nullable": True, "format": "uri", "description": description,
                    "example": f"https://example.com/api/v1/tickets/?{self.cursor_query_param}=WzQyXQ%3D%3D"}

        return {"type": "object", "required": ["next", "previous", "results"], "properties": {
            "next": link(gettext("The next page; null on the last page.")),
            "previous": link(gettext("The page before; null on the first page.")),
            "results": schema}}

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query", "schema": {"type": "string"},
             "description": gettext("The page cursor, from a response's next or previous link.")},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
             "description": gettext("Results per page.")},
        ]


class ApplicationError(Exception):
    """A business rule refused the request; mapped once to a 4xx with a stable code."""

    def __init__(self, message: str, *, code: str = "invalid", fields: dict[str, list[str]] | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        # The registry (core/errors.py) gives each code its status; an unregistered code fails here, loudly.
        self.status_code = status_for(code) if status_code is None else status_code


def error_body(*, code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape of the API. `code` is one of core/errors.py's registry."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error body is `{"error": {"code", "message", "fields"}}`."""
    if isinstance(exc, ApplicationError):
        body = error_body(code=exc.code, message=str(exc.message), fields=exc.fields)
        return Response(body, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # Django's cap on a body read into memory (DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 like the guard's.
        body = error_body(code="too_large", message=gettext("The request body is too large."))
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        # A model's full_clean() inside a service reports field errors like a serializer would.
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: exc.detail}
        fields = _flatten(detail)
        response.data = error_body(code="invalid", message=_first_message(fields), fields=fields)
    else:
        codes = exc.get_codes()
        code = code_for(codes if isinstance(codes, str) else "", response.status_code)
        response.data = error_body(code=code, message=str(exc.detail))
    return response


def _first_message(fields: Any, path: str = "") -> str:
    """The first error, prefixed with the field it belongs to, e.g. `tags.0: Ensure ...`."""
    if isinstance(fields, dict) and fields:
        key, value = next(iter(fields.items()))
        if key != api_settings.NON_FIELD_ERRORS_KEY:
            path = f"{path}.{key}" if path else key
        return _first_message(value, path)
    if isinstance(fields, list) and fields:
        return _first_message(fields[0], path)
    return f"{path}: {fields}" if path else str(fields)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The catch-all at the end of the API routes: an unknown URL gets the JSON error, not the HTML page."""
    message = gettext("No API endpoint at this address.")
    if not request.path_info.endswith("/"):
        # The catch-all defeats APPEND_SLASH, so point clients at the slashed route when there is one.
        try:
            slashed = resolve(f"{request.path_info}/")
        except Resolver404:
            slashed = None
        if slashed is not None and slashed.func is not api_not_found:
            message = gettext("No API endpoint at this address; did you mean %(path)s/?") % {"path": request.path}
    return JsonResponse(error_body(code="not_found", message=message), status=status.HTTP_404_NOT_FOUND)
