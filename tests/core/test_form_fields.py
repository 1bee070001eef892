# ruff: noqa: E501  (the old include is kept verbatim, its lines as they were)
"""`{% form_field %}` (core/templatetags/form_fields.py) writes what the include it replaced wrote, byte for byte:
label, widget, errors, help text and the length limit, for any label, help text, error and limit, in zh and en."""

from typing import Any

from django import forms
from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

# The include this tag replaced (templates/includes/field.html), as it stood.
OLD_INCLUDE = Template("""{% load i18n %}<div class="field{% if field.errors %} field--error{% endif %}">
  <label for="{{ field.id_for_label }}">{{ field.label }}</label>
  {{ field }}
  {% if field.errors %}
    <ul class="errorlist" id="{{ field.auto_id }}_errors">{% for error in field.errors %}<li>{{ error }}</li>{% endfor %}</ul>
  {% endif %}
  {% if field.help_text %}<div class="field__help">{{ field.help_text }}</div>{% endif %}
  {% if field.field.max_length %}<div class="field__help field__limit" data-limit-for="{{ field.id_for_label }}">{% blocktranslate with limit=field.field.max_length %}At most {{ limit }} characters{% endblocktranslate %}</div>{% endif %}
</div>
""")
TAG = Template("{% load form_fields %}{% form_field field %}")

_texts = st.text(alphabet=st.sampled_from(list("ab <>&\"'中文 \n")), max_size=10)
_maybe_safe = st.one_of(_texts, _texts.map(mark_safe))
_fields = st.sampled_from(["char", "text", "choice", "integer", "file", "boolean"])


def _form(kind: str, label: str, help_text: str, max_length: int | None, required: bool) -> type[forms.Form]:
    options: dict[str, Any] = {"label": label or None, "help_text": help_text, "required": required}
    field: forms.Field
    if kind in ("char", "text"):
        field = forms.CharField(max_length=max_length, widget=forms.Textarea if kind == "text" else None, **options)
    elif kind == "choice":
        field = forms.ChoiceField(choices=[("a", "甲 <a>"), ("b", "乙")], **options)
    elif kind == "integer":
        field = forms.IntegerField(**options)
    elif kind == "file":
        field = forms.FileField(**options)
    else:
        field = forms.BooleanField(**options)

    class Form(forms.Form):
        pass

    Form.base_fields = {"the_field": field}
    return Form


@settings(max_examples=300, deadline=None)
@given(kind=_fields, label=_maybe_safe, help_text=_maybe_safe, max_length=st.one_of(st.none(), st.integers(1, 20000)),
       required=st.booleans(), bound=st.booleans(), value=_texts, auto_id=st.sampled_from(["id_%s", "f-%s", False]),
       language=st.sampled_from(["zh-hans", "en"]))
def test_the_tag_writes_what_the_include_wrote(kind: str, label: str, help_text: str, max_length: int | None,
                                               required: bool, bound: bool, value: str, auto_id: str | bool,
                                               language: str) -> None:
    form_class = _form(kind, label, help_text, max_length, required)
    form = form_class({"the_field": value} if bound else None, auto_id=auto_id)
    if bound:
        form.is_valid()
    context = {"field": form["the_field"]}
    with translation.override(language):
        assert TAG.render(Context(context)) == OLD_INCLUDE.render(Context(context))


def test_errors_and_the_limit_show_translated() -> None:
    class Form(forms.Form):
        body = forms.CharField(max_length=5000, label="内容 <b>", help_text="说明")

    form = Form({"body": ""})
    form.is_valid()
    with translation.override("zh-hans"):
        html = TAG.render(Context({"field": form["body"]}))
    assert 'class="field field--error"' in html
    assert '<ul class="errorlist" id="id_body_errors"><li>' in html
    assert "内容 &lt;b&gt;" in html
    assert 'data-limit-for="id_body"' in html and "5000" in html
    with translation.override("en"):
        assert "At most 5000 characters" in TAG.render(Context({"field": form["body"]}))
