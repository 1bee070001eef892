"""The libraries' apps, named in the reader's language, with the labels the libraries leave untranslated.

INSTALLED_APPS lists these configs instead of the libraries' own. The app names are plain strings there
("Axes", "django-waffle", none at all for otp_totp and guardian); guardian's and django_otp's model labels are not
marked for translation, nor two of django_celery_beat's, so the admin showed them in English on Chinese pages.

The model labels are set on each model's `_meta` in `ready`, rather than in admin forms and columns: a label set
there reaches every page that names the model or the field (change lists, their filters, forms, the
delete confirmation, the group permission list) through Django's own lookups. Migrations stay as they are: a
field's migration reads `_verbose_name` (left as the library wrote it) and its help text under
`no_translations`, where each lazy string below is the library's own English.
"""

from typing import Any

from axes.apps import AppConfig as AxesLibraryConfig
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_celery_beat.apps import BeatConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPLibraryConfig
from guardian.apps import GuardianConfig
from waffle.apps import WaffleConfig as WaffleLibraryConfig


def _relabel(model: type[models.Model], labels: dict[str, tuple[Promise | None, Promise | None]]) -> None:
    """Field name → (label, help text); None keeps the library's."""
    for name, (label, help_text) in labels.items():
        field: Any = model._meta.get_field(name)
        if label is not None:
            field.verbose_name = label
        if help_text is not None:
            field.help_text = help_text


class AxesConfig(AxesLibraryConfig):
    verbose_name = _("Login attempts")


class WaffleConfig(WaffleLibraryConfig):
    verbose_name = _("Feature flags")  # type: ignore[assignment]  # waffle declares a plain str; Django takes either

    def ready(self) -> None:
        super().ready()
        # waffle's "Name" is a flag's name; the catalogue's "Name" is a person's (姓名).
        for model_name in ("Flag", "Switch", "Sample"):
            _relabel(self.get_model(model_name), {"name": (pgettext_lazy("feature flag", "Name"), None)})
        # A flag's "Staff" are staff users; the catalogue's are a store's (店员).
        _relabel(self.get_model("Flag"), {"staff": (pgettext_lazy("feature flag", "Staff"), None)})


class TOTPConfig(TOTPLibraryConfig):
    verbose_name = _("Two-factor authentication")

    def ready(self) -> None:
        super().ready()
        device = self.get_model("TOTPDevice")
        device._meta.verbose_name = _("TOTP device")
        device._meta.verbose_name_plural = _("TOTP devices")
        _relabel(device, {
            "user": (_("user"), _("The user that this device belongs to.")),
            "name": (pgettext_lazy("device", "name"), _("The human-readable name of this device.")),
            "confirmed": (_("confirmed"), _("Is this device ready for use?")),
            "created_at": (_("created at"),
                           _("The date and time when this device was initially created in the system.")),
            "last_used_at": (_("last used at"), _("The most recent date and time this device was used.")),
            "throttling_failure_timestamp": (
                _("last failed attempt"),
                _("A timestamp of the last failed verification attempt. Null if last attempt succeeded.")),
            "throttling_failure_count": (_("failed attempts"), _("Number of successive failed attempts.")),
            "key": (_("key"), _("A hex-encoded secret key of up to 40 bytes.")),
            "step": (_("time step"), _("The time step in seconds.")),
            "t0": (_("start time (t0)"), _("The Unix time at which to begin counting steps.")),
            "digits": (_("digits"), _("The number of digits to expect in a token.")),
            "tolerance": (_("tolerance"), _("The number of time steps in the past or future to allow.")),
            "drift": (_("drift"), _("The number of time steps the prover is known to deviate from our clock.")),
            "last_t": (_("last time step"), _("The t value of the latest verified token. The next token must be "
                                              "at a higher time step.")),
        })


class ObjectPermissionsConfig(GuardianConfig):
    verbose_name = _("Object permissions")

    def ready(self) -> None:
        super().ready()
        for model_name, name, plural in (
                ("UserObjectPermission", _("user object permission"), _("user object permissions")),
                ("GroupObjectPermission", _("group object permission"), _("group object permissions"))):
            model = self.get_model(model_name)
            model._meta.verbose_name, model._meta.verbose_name_plural = name, plural


class PeriodicTasksConfig(BeatConfig):
    def ready(self) -> None:
        super().ready()
        _relabel(self.get_model("PeriodicTask"), {
            "name": (pgettext_lazy("periodic task", "Name"), None),
            "task": (_("Task Name"), None),
        })
