"""The libraries' admin pages in the reader's language: columns and read-only fields the libraries compute
without a translated title (axes' status and expiry, beat's schedule and its cron description).

Registered from core.admin, after the libraries' own admin modules (INSTALLED_APPS lists them first).
"""

from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from cron_descriptor import FormatException, MissingFieldException, Options, WrongArgumentException, get_description
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, PeriodicTask, cronexp

CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def crontab_description(crontab: CrontabSchedule) -> str:
    """"At 01:30 Asia/Shanghai" in the active language: beat's own description follows the process's locale."""
    expression = " ".join(cronexp(getattr(crontab, name)) for name in CRON_FIELDS)
    options = Options()
    options.locale_code = "zh_CN" if (get_language() or "").startswith("zh") else "en_US"
    options.use_24hour_time_format = True
    try:
        description = get_description(expression, options)
    except (MissingFieldException, FormatException, WrongArgumentException):
        description = expression
    return f"{description} {crontab.timezone}"


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    @admin.display(description=_("Expires At"))
    def expiration(self, obj: AccessAttempt) -> Any:
        return super().expiration(obj)

    @admin.display(description=_("Status"))
    def status(self, obj: AccessAttempt) -> Any:
        return super().status(obj)


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    list_display = ("name", "enabled", "schedule", "interval", "start_time", "last_run_at", "one_off")
    readonly_fields = ("last_run_at", "crontab_translation")

    @admin.display(description=_("Schedule"))
    def schedule(self, task: PeriodicTask) -> Any:
        return task.scheduler

    @admin.display(description=_("Crontab translation"))
    def crontab_translation(self, task: PeriodicTask) -> str:
        return crontab_description(task.crontab) if task.crontab else ""

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The form's script shows the chosen crontab's description from this map; beat's own builds it in
        # the process's locale and would overwrite this one, so its view is skipped for Django's.
        readable = {crontab.pk: crontab_description(crontab) for crontab in CrontabSchedule.objects.all()}
        return admin.ModelAdmin.changeform_view(self, request, object_id, form_url,
                                                {**(extra_context or {}), "readable_crontabs": readable})


class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    list_display = ("__str__", "description")
    fields = ("description", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("description",)

    @admin.display(description=_("Description"))
    def description(self, crontab: CrontabSchedule) -> str:
        return crontab_description(crontab)


for model, model_admin in ((AccessAttempt, AccessAttemptAdmin), (PeriodicTask, PeriodicTaskAdmin),
                           (CrontabSchedule, CrontabScheduleAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
