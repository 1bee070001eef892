"""The OpenAPI schema's side of the error contract: every status an operation can answer is documented
with the one error shape, and the description lists the error registry.

drf-spectacular documents what each view declares; the statuses below come from layers every DRF view
shares, so they are added here once rather than in each `extend_schema`:

- 400: the input guard refuses control characters in any parameter or header, and bad bodies;
- 401: a view with authentication refuses a wrong or missing credential;
- 403: permissions, CSRF for session callers, staff who have not finished two-factor sign-in;
- 404: an object named in the path that does not exist or is not the caller's, or (lists) a cursor
  that is not one the API handed out;
- 406: content negotiation (an Accept the API cannot answer);
- 413 / 415: a body too large (input guard, DATA_UPLOAD_MAX_MEMORY_SIZE) or of a type not parsed here;
- 429: a view with throttles.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema

from core.errors import markdown_table
from core.serializers import ErrorSerializer

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
            statuses.append(404)  # an object named in the path (a cursor that is not one of ours is a 400)
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


# The input guard's rule (core/input_rules.py) written as JSON Schema patterns, so the schema promises
# only what the API accepts: names (path segments, keys) hold no C0 control character, text values none
# but tab, LF and CR, header values none but tab.
NAME_PATTERN = "^[^\\u0000-\\u001f]*$"
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"
# DRF trims text fields, so a required one needs a character that is not a space.
NONBLANK_TEXT_PATTERN = ("^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*[^\\s\\u0000-\\u001f]"
                         "[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$")
HEADER_PATTERN = "^[^\\u0000-\\u0008\\u000a-\\u001f]*$"
_PARAMETER_PATTERNS = {"path": NAME_PATTERN, "query": TEXT_PATTERN, "header": HEADER_PATTERN, "cookie": TEXT_PATTERN}


# The years core.serializers.DateTimeField accepts (1901 to 9998), as the start of a date-time.
DATE_TIME_YEAR_PATTERN = "^(190[1-9]|19[1-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"


def _constrain_text(schema: dict[str, Any], pattern: str) -> None:
    if schema.get("type") != "string" or "pattern" in schema or "enum" in schema:
        return
    if schema.get("format") == "date-time":
        schema["pattern"] = DATE_TIME_YEAR_PATTERN
    elif "format" not in schema:
        schema["pattern"] = NONBLANK_TEXT_PATTERN if pattern == TEXT_PATTERN and schema.get("minLength") else pattern


def _constrain_body(schema: Any) -> None:
    """Every free-text string of a request body gets the text rule. (Key names cannot be constrained in
    OpenAPI 3.0: `propertyNames` is 3.1.)"""
    if isinstance(schema, list):
        for item in schema:
            _constrain_body(item)
        return
    if not isinstance(schema, dict):
        return
    _constrain_text(schema, TEXT_PATTERN)
    for value in schema.values():
        if isinstance(value, dict | list):
            _constrain_body(value)


def refuse_control_characters(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: the control-character rule on every parameter and request body."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _constrain_text(parameter.get("schema", {}), _PARAMETER_PATTERNS[parameter["in"]])
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if "$ref" not in media.get("schema", {}):
                    _constrain_body(media.get("schema"))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):  # COMPONENT_SPLIT_REQUEST: the request side of each serializer
            _constrain_body(component)
    return result


def describe_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: append the error registry to the API description."""
    info = result.setdefault("info", {})
    intro = str(_("Every response that is not 2xx has the body `{\"error\": {\"code\", \"message\", \"fields\"}}`; "
                  "`code` is one of:"))
    info["description"] = f"{info.get('description', '')}\n\n{intro}\n\n{markdown_table()}"
    return result
