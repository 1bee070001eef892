from django import forms
from django.utils.translation import gettext_lazy as _

from knowledge.services import MAX_FEEDBACK_COMMENT


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"), choices=[("yes", _("Yes, it helped")), ("no", _("No, it did not"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(
        label=_("What could be better? (optional)"), required=False, max_length=MAX_FEEDBACK_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
