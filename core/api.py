"""API conventions shared by every app: one error shape, cursor pagination, the error type."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import code_for, status_for


class DefaultCursorPagination(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Any) -> int | None:
        """DRF ignores a page_size it cannot read; here it is a 400 naming the parameter."""
        given = request.query_params.get(self.page_size_query_param)
        if given is not None and not (given.isascii() and given.isdigit() and 1 <= int(given) <= self.max_page_size):
            message = gettext("page_size must be a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ApplicationError(message, code="invalid", fields={self.page_size_query_param: [message]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


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
