"""core.form_rendering writes Django's plainest widget templates in Python: its output must be Django's, byte for
byte, for any name, value, attributes and choices."""

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from core.form_rendering import FastWidgetRenderer

DJANGO = DjangoTemplates()
FAST = FastWidgetRenderer()

# Text that needs escaping, CJK, spaces at the ends, and marked-safe strings (rendered as they are).
_texts = st.text(alphabet=st.sampled_from(list("ab <>&\"'=中文 \n")), max_size=12)
_values = st.one_of(st.none(), _texts, _texts.map(mark_safe), st.integers(-5, 5), st.booleans())
_attr_names = st.sampled_from(["class", "id", "placeholder", "data-x", "required", "disabled", "maxlength",
                               "aria-label", "hx-get"])
_attrs = st.dictionaries(_attr_names, st.one_of(st.booleans(), st.integers(0, 3), _texts, _texts.map(mark_safe)),
                         max_size=4)
_choice = st.tuples(st.one_of(_texts, st.integers(0, 9)), _texts)
_choices = st.lists(st.one_of(_choice, st.tuples(_texts.filter(bool), st.lists(_choice, max_size=3))), max_size=5)
_INPUTS = [forms.TextInput, forms.NumberInput, forms.EmailInput, forms.URLInput, forms.HiddenInput, forms.DateInput,
           forms.TimeInput, forms.SearchInput, forms.TelInput, forms.ColorInput, forms.FileInput,
           forms.CheckboxInput]


def _both(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any]) -> tuple[str, str]:
    return (widget.render(name, value, attrs=attrs, renderer=DJANGO),
            widget.render(name, value, attrs=attrs, renderer=FAST))


@settings(max_examples=300, deadline=None)
@given(widget_class=st.sampled_from(_INPUTS), name=_texts, value=_values, attrs=_attrs)
def test_inputs_render_as_djangos(widget_class: type[forms.Widget], name: str, value: Any,
                                  attrs: dict[str, Any]) -> None:
    django_html, fast_html = _both(widget_class(), name, value, attrs)
    assert fast_html == django_html


@settings(max_examples=300, deadline=None)
@given(name=_texts, value=_values, attrs=_attrs, choices=_choices, multiple=st.booleans())
def test_selects_render_as_djangos(name: str, value: Any, attrs: dict[str, Any], choices: list[Any],
                                   multiple: bool) -> None:
    widget = forms.SelectMultiple(choices=choices) if multiple else forms.Select(choices=choices)
    chosen = [value] if multiple else value
    django_html, fast_html = _both(widget, name, chosen, attrs)
    assert fast_html == django_html


@settings(max_examples=200, deadline=None)
@given(name=_texts, value=_values, attrs=_attrs)
def test_textareas_render_as_djangos(name: str, value: Any, attrs: dict[str, Any]) -> None:
    django_html, fast_html = _both(forms.Textarea(), name, value, attrs)
    assert fast_html == django_html


@settings(max_examples=200, deadline=None)
@given(name=_texts, value=_texts, attrs=_attrs, choices=st.lists(_choice, min_size=1, max_size=4),
       checkbox=st.booleans(), wrap_label=st.booleans())
def test_radio_and_checkbox_options_render_as_djangos(name: str, value: str, attrs: dict[str, Any],
                                                      choices: list[Any], checkbox: bool, wrap_label: bool) -> None:
    """`{% for radio in form.field %}{{ radio.tag }}` (and `{{ radio }}`, which wraps it in its label)."""
    widget_class = forms.CheckboxSelectMultiple if checkbox else forms.RadioSelect
    field = forms.MultipleChoiceField if checkbox else forms.ChoiceField

    class Form(forms.Form):
        pick = field(choices=choices, widget=widget_class(attrs=attrs))

    def options(renderer: Any) -> list[str]:
        bound = Form({name: [value] if checkbox else value}, renderer=renderer)["pick"]
        return [option.tag(wrap_label=wrap_label) for option in bound]

    assert options(FAST) == options(DJANGO)


def test_widgets_it_does_not_know_go_through_the_templates() -> None:
    widget = forms.RadioSelect(choices=[("a", "甲"), ("b", "乙")])
    assert widget.render("pick", "a", renderer=FAST) == widget.render("pick", "a", renderer=DJANGO)
    assert 'checked' in widget.render("pick", "a", renderer=FAST)


@pytest.mark.django_db
def test_it_is_the_projects_renderer_and_a_desk_form_renders_through_it() -> None:
    from tickets.forms import StatusForm

    assert isinstance(get_default_renderer(), FastWidgetRenderer)
    fast, django = StatusForm(), StatusForm(renderer=DJANGO)
    assert [str(field) for field in fast] == [str(field) for field in django]
    assert "<select" in str(fast["status"])
