from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quality.models import Criterion, Scorecard

# ISO dates: what an <input type="date"> accepts whatever the page language.
DATE = forms.DateInput(attrs={"class": "input", "type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"class": "input", "rows": 3})


class SampleForm(forms.Form):
    scorecard = forms.ModelChoiceField(label=_("Scorecard"), queryset=Scorecard.objects.none(),
                                       widget=forms.Select(attrs={"class": "select"}))
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)
    share_percent = forms.IntegerField(label=_("Random share (%)"), min_value=0, max_value=100, initial=10,
                                       widget=forms.NumberInput(attrs={"class": "input"}))

    def __init__(self, *args: Any, scorecards: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scorecard"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = scorecards
        field.empty_label = None  # the first active scorecard is preselected
        today = timezone.localdate()
        self.fields["start"].initial = today - timedelta(days=7)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("Pick a day on or after the start."))
        return data


class ScoreForm(forms.Form):
    """One points field per criterion of the scorecard (named criterion_<id>) and a comment."""

    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False, widget=TEXT)

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.IntegerField(
                label=criterion.label, min_value=0, max_value=criterion.max_points,
                help_text=_("0 to %(max)s points, weight %(weight)s") % {
                    "max": criterion.max_points, "weight": criterion.weight},
                widget=forms.NumberInput(attrs={"class": "input"}))
        self.order_fields([*(f"criterion_{criterion.pk}" for criterion in criteria), "comment"])

    def points(self) -> dict[int, int]:
        return {criterion.pk: self.cleaned_data[f"criterion_{criterion.pk}"] for criterion in self.criteria}


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Why is the score wrong?"), max_length=1000, widget=TEXT)


class ResolveAppealForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("upheld", _("Uphold: adjust the score")), ("rejected", _("Reject: keep the score"))])
    adjusted_score = forms.DecimalField(label=_("Adjusted score"), required=False, min_value=Decimal(0),
                                        max_value=Decimal(100), decimal_places=2,
                                        widget=forms.NumberInput(attrs={"class": "input", "step": "0.01"}))
    response = forms.CharField(label=_("Answer to the agent"), max_length=1000, widget=TEXT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "upheld" and data.get("adjusted_score") is None:
            self.add_error("adjusted_score", _("Enter the adjusted score (0 to 100)."))
        return data
