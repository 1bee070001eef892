"""The OpenAPI schema's side of the error contract: every status an operation can answer is documented
with the one error shape, and the description lists the error registry.

drf-spectacular documents what each view declares; the statuses below come from layers every DRF view
shares, so they are added here once rather than in each `extend_schema`:

- 400: the input guard refuses control characters in any parameter or header, and bad bodies;
- 401: a view with authentication refuses a wrong or missing credential;
- 403: permissions, CSRF for session callers, staff who have not finished two-factor sign-in;
- 404: an object named in the path that does not exist or is not the caller's;
- 406: content negotiation (an Accept the API cannot answer);
- 413 / 415: a body too large (input guard, DATA_UPLOAD_MAX_MEMORY_SIZE) or of a type not parsed here;
- 429: a view with throttles.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema

from service_center.core.errors import markdown_table
from service_center.core.serializers import ErrorSerializer

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_DESCRIPTIONS = {
    400: _("Invalid request (`invalid`, `parse_error`, `too_deep` or a business code)."),
    401: _("Not signed in (`not_authenticated`, `authentication_failed`)."),
    403: _("Not allowed (`permission_denied`, `two_factor_required`, `bad_signature`, …)."),
    404: _("No such object, or not the caller's (`not_found`)."),
    406: _("Cannot answer in the media type of Accept (`not_acceptable`)."),
    413: _("Body too large (`too_large`)."),
    415: _("Body of a content type not accepted (`unsupported_media_type`)."),
    429: _("Too many requests (`throttled`); see Retry-After."),
}


class ContractAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding the error responses every operation shares (module docstring)."""

    def _error_statuses(self) -> list[int]:
        view = self.view
        statuses = [400, 403, 406]
        if getattr(view, "authentication_classes", None):
            statuses.append(401)
        if "{" in self.path:
            statuses.append(404)
        if self.method in _BODY_METHODS:
            statuses += [413, 415]
        if view.get_throttles():
            statuses.append(429)
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status_code in self._error_statuses():
            if str(status_code) not in responses:
                response = self._get_response_for_code(ErrorSerializer, str(status_code), direction=direction)
                response["description"] = _DESCRIPTIONS[status_code]
                responses[str(status_code)] = response
        return responses


def describe_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: append the error registry to the API description."""
    info = result.setdefault("info", {})
    intro = str(_("Every response that is not 2xx has the body `{\"error\": {\"code\", \"message\", \"fields\"}}`; "
                  "`code` is one of:"))
    info["description"] = f"{info.get('description', '')}\n\n{intro}\n\n{markdown_table()}"
    return result
