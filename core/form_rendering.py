"""The form renderer (settings.FORM_RENDERER): Django's, with its plainest widget templates written in Python.

Django renders each widget through templates: an `<input>` is a template that includes another for its
attributes, and a `<select>` renders one template per option, each including the attributes template again.
The desk's queue page has 18 widgets with 40 options (team, agent, status, channel …): 130 template renders, a
sixth of the page's time. The templates below are short and fixed; the functions produce exactly their output
(tests/core/test_form_rendering.py compares both over generated widgets). Any other template, and any of these
that an app overrides, still goes through the template engine. No library does this: django-jinja or a
Jinja2 renderer would change every form template of the project.
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

_DJANGO_TEMPLATES = Path(django.forms.__file__).resolve().parent / "templates"
_WIDGETS = "django/forms/widgets/"
# Widgets whose template is only `{% include "django/forms/widgets/input.html" %}` and a newline.
_INPUTS = frozenset(f"{_WIDGETS}{name}.html" for name in (
    "text", "number", "email", "url", "password", "hidden", "search", "tel", "date", "datetime", "time", "color",
    "file", "checkbox"))
_SELECT = f"{_WIDGETS}select.html"
_OPTION = f"{_WIDGETS}select_option.html"
_TEXTAREA = f"{_WIDGETS}textarea.html"
# A radio button or checkbox of a multiple-choice widget, as `{% for radio in form.field %}{{ radio.tag }}` writes it
# (both templates are only `{% include "django/forms/widgets/input_option.html" %}`).
_CHOICE_OPTIONS = frozenset(f"{_WIDGETS}{name}_option.html" for name in ("radio", "checkbox"))


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` with autoescape: safe strings stay as they are, the rest is escaped."""
    return str(value) if isinstance(value, SafeData) else str(conditional_escape(str(value)))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """attrs.html: `True` writes the bare name, `False` leaves the attribute out."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in attrs.items() if value is not False
    )


def _input(widget: Mapping[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return (f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{value}'
            f'{_attrs(widget["attrs"])}>')


def _option(option: Mapping[str, Any]) -> str:
    return (f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
            f'{conditional_escape(option["label"])}</option>\n')


def _select(widget: Mapping[str, Any], render_option: Callable[[Mapping[str, Any]], str]) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(f"\n  {render_option(option)}" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _choice_option(widget: Mapping[str, Any]) -> str:
    """input_option.html: the input, wrapped in its label unless the caller writes the label itself."""
    if not widget.get("wrap_label"):
        return _input(widget)
    label_for = f' for="{_text(widget["attrs"]["id"])}"' if widget["attrs"].get("id") else ""
    # The included input.html ends in a newline, which stays when the label wraps it.
    return f"<label{label_for}>{_input(widget)}\n {conditional_escape(widget['label'])}</label>"


def _textarea(widget: Mapping[str, Any]) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


class FastWidgetRenderer(DjangoTemplates):
    """Django's default renderer (its own engine over Django's form templates and the apps'), except for the
    templates above while they are Django's own. Like Django's, a widget's outermost output has no surrounding
whitespace (BaseRenderer.render strips it)."""

    def __init__(self) -> None:
        super().__init__()
        self._djangos: dict[str, bool] = {}

    def _is_djangos(self, template_name: str) -> bool:
        """Whether the engine finds Django's own file for this name (an app may override a widget template)."""
        if template_name not in self._djangos:
            origin = Path(self.get_template(template_name).origin.name)
            self._djangos[template_name] = origin.is_relative_to(_DJANGO_TEMPLATES)
        return self._djangos[template_name]

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if widget is None or not self._is_djangos(template_name):
            return super().render(template_name, context, request)
        if template_name in _INPUTS:
            return _input(widget)
        if template_name == _TEXTAREA:
            return _textarea(widget)
        if template_name in _CHOICE_OPTIONS:
            return _choice_option(widget)
        if template_name == _SELECT:
            return _select(widget, lambda option: _option(option)
                           if option["template_name"] == _OPTION and self._is_djangos(_OPTION)
                           else super(FastWidgetRenderer, self).render(option["template_name"], {"widget": option}))
        return super().render(template_name, context, request)
