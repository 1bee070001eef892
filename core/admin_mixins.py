"""The one read-only admin: for rows the system writes (logs, deliveries, provider records, scores moved by
their own pages), where the admin looks and never adds or edits."""

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Put before the ModelAdmin base. `deletable = False` where the rows are evidence nobody may remove."""

    deletable = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletable and bool(super().has_delete_permission(request, obj))  # type: ignore[misc]
