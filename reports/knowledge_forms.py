"""The "draft an FAQ" button of the knowledge analytics: the cluster's question ids, validated."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.knowledge_selectors import MAX_CLUSTERED


class DraftFaqForm(forms.Form):
    questions = forms.CharField(label=_("Questions"), max_length=20_000, widget=forms.HiddenInput)

    def clean_questions(self) -> list[int]:
        parts = [part.strip() for part in self.cleaned_data["questions"].split(",") if part.strip()]
        if not parts or not all(part.isdigit() and len(part) < 12 for part in parts):
            raise forms.ValidationError(_("Choose the questions of one group."))
        if len(parts) > MAX_CLUSTERED:
            raise forms.ValidationError(_("At most %(count)d questions at a time."), params={"count": MAX_CLUSTERED})
        return [int(part) for part in parts]

    def as_ids(self) -> Any:
        return self.cleaned_data["questions"]
