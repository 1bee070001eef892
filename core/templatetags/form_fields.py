"""`{% form_field form.name %}`: a form field with its label, errors, help text and length limit, the way every
page of the project lays a field out.

It was a template (`{% include "includes/field.html" with field=… %}`); each include is a template render, and the
desk's ticket page has thirteen of them, ~1.3 ms of its time. The markup is fixed and short, so it is written
here; tests/core/test_form_fields.py compares it with the old template over generated fields.
"""

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    e = conditional_escape
    errors = field.errors
    parts = [f'<div class="field{" field--error" if errors else ""}">\n'
             f'  <label for="{e(field.id_for_label)}">{e(field.label)}</label>\n'
             f"  {field}\n  "]  # the widget, rendered (and escaped) by the form renderer
    if errors:
        items = "".join(f"<li>{e(str(error))}</li>" for error in errors)
        parts.append(f'\n    <ul class="errorlist" id="{e(field.auto_id)}_errors">{items}</ul>\n  ')
    parts.append("\n  ")
    if field.help_text:
        parts.append(f'<div class="field__help">{e(field.help_text)}</div>')
    parts.append("\n  ")
    limit: Any = getattr(field.field, "max_length", None)
    if limit:
        # As {% blocktranslate %} does: the value is localized and escaped, the translated words are not.
        words = gettext("At most %(limit)s characters") % {"limit": e(localize(limit))}
        parts.append(f'<div class="field__help field__limit" data-limit-for="{e(field.id_for_label)}">{words}</div>')
    parts.append("\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308  (every value in it was escaped where it was written)
