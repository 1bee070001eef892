"""The project's admin site: Django's, with add forms that never trust their query string.

The admin fills an add form's initial values from the query (`/admin/tickets/ticket/add/?team=3`), and
an autocomplete widget then looks the value up as a primary key: `?team=abc` raised a ValueError (a
500) on every add form with an autocomplete field. Values the form field would refuse are dropped,
like a stale link's, so the form opens empty. The site applies this to every registered ModelAdmin,
so no app's admin has to remember it.
"""

import types
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ValidationError
from django.http import HttpRequest


class CheckedInitialDataMixin:
    """Keeps only the query's initial values that the add form's own fields accept."""

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)  # type: ignore[misc]
        form_fields = self.get_form(request).base_fields  # type: ignore[attr-defined]
        for name, value in list(initial.items()):
            field = form_fields.get(name)
            if field is None:
                continue
            try:
                field.clean(value)
            except (ValidationError, ValueError, TypeError, OverflowError):
                del initial[name]
        return initial


class ServiceCenterAdminSite(admin.AdminSite):
    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, CheckedInitialDataMixin):
            admin_class = types.new_class(admin_class.__name__, (CheckedInitialDataMixin, admin_class))
            admin_class.__module__ = admin_class.__mro__[2].__module__
        super().register(model_or_iterable, admin_class, **options)


class ServiceCenterAdminConfig(AdminConfig):
    default_site = "core.admin_site.ServiceCenterAdminSite"
