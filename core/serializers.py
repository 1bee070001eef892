"""Serializer pieces shared by every app's API: masked PII and the documented error envelope."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import BindingDict

from core.masking import PiiKind, display_pii


@dataclass(frozen=True)
class _OwnedValue:
    value: str
    owner_id: int | None


class PiiField(serializers.CharField):
    """A read-only PII value, masked unless the requesting user may see it in clear.

    `owner_source` (a dotted path on the instance, e.g. "user_id") names whose data it is: the owner
    always sees their own value in clear. Without a request in the context the value is masked.
    """

    def __init__(self, *, kind: PiiKind, owner_source: str | None = None, **kwargs: Any) -> None:
        self.kind: PiiKind = kind
        self.owner_source = owner_source
        kwargs["read_only"] = True
        kwargs.setdefault("help_text", _("Masked (e.g. 138****5678) unless the caller may see personal data."))
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        return _OwnedValue(value="" if value is None else str(value), owner_id=self._owner_id(instance))

    def _owner_id(self, instance: Any) -> int | None:
        owner = instance if self.owner_source else None
        for attr in (self.owner_source or "").split("."):
            # A missing owner (nullable relation) means nobody sees it unmasked by ownership.
            owner = None if owner is None else getattr(owner, attr)
        return owner

    def to_representation(self, value: Any) -> str:
        owned = value if isinstance(value, _OwnedValue) else _OwnedValue(value=str(value), owner_id=None)
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        return display_pii(owned.value, self.kind, viewer=viewer, owner_id=owned.owner_id)


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text=_("Stable machine-readable code, e.g. `invalid`, `not_found`."))
    message = serializers.CharField(help_text=_("Human-readable summary, in the request's language."))

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "fields" cannot be declared as a class attribute: it would shadow Serializer.fields.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.JSONField(),
            help_text=_('Validation messages by field, `{"field": ["message"]}`; empty for other errors.'),
        )
        return fields


class DateTimeField(serializers.DateTimeField):
    """DRF's date-time field, refusing years a Python datetime cannot shift across time zones, and
    rendering every value with an ISO offset of whole minutes.

    0001-01-01 parses, but turning it into Beijing or UTC time overflows (a 500); and before 1901
    Asia/Shanghai had local mean time (+08:05:43), which no business record of ours predates.
    CoreConfig.ready() makes it the field of every model DateTimeField in a ModelSerializer, so this
    is the one place an API date-time is rendered.
    """

    MIN_YEAR = 1901
    MAX_YEAR = 9998
    default_error_messages = {
        "out_of_range": _("Date and time must fall between the years {min_year} and {max_year}."),
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if not self.MIN_YEAR <= value.year <= self.MAX_YEAR:
            self.fail("out_of_range", min_year=self.MIN_YEAR, max_year=self.MAX_YEAR)
        return super().enforce_timezone(value)

    def to_representation(self, value: Any) -> Any:
        """ISO 8601 in Beijing time (+08:00); in UTC (Z) where Beijing time has no whole-minute offset
        (local mean time before 1901) or would leave the datetime range (year 1 or 9999)."""
        if not value or isinstance(value, str) or getattr(self, "format", api_settings.DATETIME_FORMAT) != ISO_8601:
            return super().to_representation(value)
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        try:
            local = timezone.localtime(value)
        except OverflowError:
            local = None
        offset = local.utcoffset() if local is not None else None
        if local is None or offset is None or offset.total_seconds() % 60:
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return local.isoformat()


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error body of the API: `{"error": {"code", "message", "fields"}}`."""

    error = ErrorDetailSerializer()


class FieldsBuiltOnce:
    """A serializer whose fields are built once per class instead of once per instance.

    DRF deep-copies the declared fields and, for a ModelSerializer, derives every model field's kwargs again each
    time a serializer is made: for a ticket that was about a third of an API create. Here each instance gets
    shallow copies of the fields built the first time, bound to itself, so `context` and SerializerMethodField
    still reach this instance. Only for serializers whose fields are fixed by the class (no `get_fields` that
    depends on the instance or its context) and whose nested fields (a ListField's child) do not read the context.
    """

    @cached_property
    def fields(self) -> BindingDict:
        serializer = cast(serializers.BaseSerializer[Any], self)
        cls = type(self)
        built: dict[str, Any] | None = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = dict(self.get_fields())  # type: ignore[attr-defined]
            holder = BindingDict(serializer)
            for name, field in built.items():
                holder[name] = field  # bind once: label, source and source_attrs are set here
            for field in built.values():
                # The originals are copied, never used: they must not keep the first request alive.
                field.parent = None
            cls._fields_built_once = built  # type: ignore[attr-defined]
        fields = BindingDict(serializer)
        for name, original in built.items():
            # What copy.copy gives a field, without its __reduce_ex__ and copyreg path: ~5% of an API create's CPU.
            field = object.__new__(type(original))
            field.__dict__.update(original.__dict__)
            field.parent = self
            # Not through BindingDict's __setitem__: binding twice is refused (the source is set already).
            fields.fields[name] = field
        return fields
