"""Every model of the project and every field it shows has a name in both languages: the admin, history
pages, form errors and exports print them, so an untranslated one leaves English in the Chinese pages."""

import pytest
from django.apps import apps
from django.db.models import Field
from django.utils import translation

PROJECT_APPS = {"core", "profiles", "tickets", "chat", "aftersales", "knowledge", "reports"}
# Protocol and platform terms that Chinese screens print as they are.
SAME_IN_BOTH = {"ID", "SKU", "AppID", "AppSecret", "EncodingAESKey", "Message-ID", "In-Reply-To", "References"}


def _names() -> list[tuple[str, object]]:
    names: list[tuple[str, object]] = []
    for model in apps.get_models():
        opts = model._meta
        # History models copy their model's field names; simple-history names the models and its own fields.
        if opts.app_label not in PROJECT_APPS or model.__name__.startswith("Historical"):
            continue
        names += [(f"{opts.label} (model)", opts.verbose_name), (f"{opts.label} (plural)", opts.verbose_name_plural)]
        names += [(f"{opts.label}.{field.name}", field.verbose_name) for field in opts.get_fields()
                  if isinstance(field, Field)]
    return names


@pytest.mark.parametrize("language", ["zh-hans"])
def test_every_model_and_field_name_is_translated(language: str) -> None:
    untranslated = []
    for where, name in _names():
        with translation.override("en"):
            english = str(name)
        with translation.override(language):
            shown = str(name)
        if shown == english and english not in SAME_IN_BOTH:
            untranslated.append(f"{where}: {english!r}")
    assert untranslated == []
