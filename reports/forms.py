"""Report filters: a date range (and a grain / grouping for trends), validated so bad input is a form
error on the field that is wrong, never a 500."""

from datetime import date, timedelta
from typing import Any, Self

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reports.builder import DIMENSION_LABELS, SOURCES, ReportSpec
from reports.figures import Grain
from reports.models import ExportJob, SavedReport
from reports.rollups import local_today

MAX_RANGE_DAYS = 366
EARLIEST_DAY = date(2000, 1, 1)
DEFAULT_RANGE_DAYS = 30


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "class": "input"}, format="%Y-%m-%d")


class RangeForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=_date_input())
    date_to = forms.DateField(label=_("To"), widget=_date_input())

    @classmethod
    def from_query(cls, query: Any) -> Self:
        """Bound to the query string, or to the default range (the last 30 days) on a first visit."""
        if any(name in query for name in cls.base_fields):
            return cls(query)
        today = local_today()
        initial = {"date_from": today - timedelta(days=DEFAULT_RANGE_DAYS - 1), "date_to": today}
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.ChoiceField) and field.initial is not None and name not in initial:
                initial[name] = field.initial
        return cls({name: value.isoformat() if isinstance(value, date) else value for name, value in initial.items()})

    def clean_date_from(self) -> date:
        return self._within_bounds(self.cleaned_data["date_from"])

    def clean_date_to(self) -> date:
        return self._within_bounds(self.cleaned_data["date_to"])

    def _within_bounds(self, day: date) -> date:
        if day < EARLIEST_DAY:
            raise forms.ValidationError(_("Choose a day from %(day)s on."), params={"day": EARLIEST_DAY.isoformat()})
        if day > local_today():
            raise forms.ValidationError(_("Choose a day up to today."))
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", _("The end must not be before the start."))
            elif (last - first).days + 1 > MAX_RANGE_DAYS:
                self.add_error("date_to", _("Choose at most %(days)s days.") % {"days": MAX_RANGE_DAYS})
        return cleaned


class TrendForm(RangeForm):
    grain = forms.ChoiceField(
        label=_("By"), initial=Grain.DAY.value, widget=forms.Select(attrs={"class": "select"}),
        choices=[(Grain.DAY.value, _("Day")), (Grain.WEEK.value, _("Week")), (Grain.MONTH.value, _("Month"))],
    )
    group = forms.ChoiceField(
        label=_("For each"), initial="team", widget=forms.Select(attrs={"class": "select"}),
        choices=[("team", _("Team")), ("channel", _("Channel"))],
    )


class ExportForm(RangeForm):
    dataset = forms.ChoiceField(label=_("Data"), choices=ExportJob.Dataset.choices,
                                initial=ExportJob.Dataset.TICKETS,
                                widget=forms.Select(attrs={"class": "select"}))
    file_format = forms.ChoiceField(label=_("Format"), choices=ExportJob.Format.choices,
                                    initial=ExportJob.Format.CSV,
                                    widget=forms.Select(attrs={"class": "select"}))


def _all_dimensions() -> list[tuple[str, Any]]:
    return [(key, label) for key, label in DIMENSION_LABELS.items()]


def _all_measures() -> list[tuple[str, Any]]:
    return [(f"{key}", f"{source.label}: {measure.label}") for source in SOURCES.values()
            for key, measure in source.measures.items()]


class BuilderForm(RangeForm):
    source = forms.ChoiceField(label=_("Data"), initial="tickets", widget=forms.Select(attrs={"class": "select"}),
                               choices=[(key, source.label) for key, source in SOURCES.items()])
    dimension = forms.ChoiceField(label=_("Rows"), initial="date", choices=_all_dimensions,
                                  widget=forms.Select(attrs={"class": "select"}))
    grain = TrendForm.base_fields["grain"]
    measures = forms.MultipleChoiceField(label=_("Figures"), initial=["created", "solved"], choices=_all_measures,
                                         widget=forms.CheckboxSelectMultiple)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        source = SOURCES.get(cleaned.get("source", ""))
        if source is None:
            return cleaned
        if cleaned.get("dimension") and cleaned["dimension"] not in source.dimensions:
            self.add_error("dimension", _("%(data)s cannot be grouped this way.") % {"data": source.label})
        unknown = [key for key in cleaned.get("measures", []) if key not in source.measures]
        if unknown:
            self.add_error("measures", _("Choose figures of %(data)s.") % {"data": source.label})
        return cleaned

    def spec(self) -> ReportSpec:
        data = self.cleaned_data
        return ReportSpec(source=data["source"], dimension=data["dimension"], measures=list(data["measures"]),
                          grain=data["grain"])


class SaveReportForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("saved report", "Name"), max_length=100,
                           widget=forms.TextInput(attrs={"class": "input"}))
    shared = forms.BooleanField(label=_("Share with everyone who reads reports"), required=False)
    frequency = forms.ChoiceField(label=_("E-mail it to me"), required=False, choices=SavedReport.Frequency.choices,
                                  widget=forms.Select(attrs={"class": "select"}))
