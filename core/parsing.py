"""The API's content negotiation: DRF's, with every form and multipart body checked by the input rule.

JSON bodies are checked by core.input_guard's middleware before parsing; form and multipart bodies are
DRF's to parse (or refuse with a 415), so they are checked here, after the chosen parser. Wrapping the
parser in the negotiation covers views that name their own parser_classes too.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import QueryDict
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.request import Request

from core.input_rules import pairs_refusal


class _CheckedParser(BaseParser):
    """Another parser's result, refused with the field's name when a form field holds a control character."""

    def __init__(self, parser: BaseParser) -> None:
        self.parser = parser
        self.media_type = parser.media_type

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
              ) -> Any:
        parsed = self.parser.parse(stream, media_type, parser_context)
        data = getattr(parsed, "data", parsed)
        if isinstance(data, QueryDict):
            refusal = pairs_refusal(data.lists())
            if refusal is not None:
                raise ValidationError({refusal.field: [refusal.message]})
        return parsed


class CheckedContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation; the parser it picks is wrapped in _CheckedParser."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        parser = super().select_parser(request, parsers)
        return None if parser is None else _CheckedParser(parser)
