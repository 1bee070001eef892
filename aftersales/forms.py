"""Forms of the after-sales pages; they parse input only, the services decide and write."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales import refund_cap
from aftersales.models import Courier, OrderItem, Reason, RequestType
from core.money import fen_to_yuan, format_fen, yuan_text, yuan_to_fen


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleImageInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleImageField, self).clean(item, initial) for item in files]


class ApplyForm(forms.Form):
    request_type = forms.ChoiceField(label=_("What do you need?"), choices=RequestType.choices,
                                     widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Reason"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    amount = forms.DecimalField(label=_("Refund amount (¥)"), min_value=Decimal("0"), decimal_places=2,
                                max_digits=12, required=False)
    description = forms.CharField(label=_("Describe the problem"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    package_opened = forms.BooleanField(label=_("The package has been opened"), required=False)
    images = MultipleImageField(label=_("Photos (1 to 9; required for quality or damage claims)"), required=False,
                                widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    confirm = forms.BooleanField(label=_("I confirm the information above is true"))

    def __init__(self, *args: Any, item: OrderItem, reasons: list[Reason], language: str | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.item = item
        # The limits themselves are checked by the eligibility rules; these only help the browser.
        self.fields["quantity"].widget.attrs["max"] = item.quantity
        self.fields["quantity"].initial = item.quantity
        # What every unit still unclaimed may get back; a part of the quantity gets its share (refund_cap).
        line = refund_cap.line_refunds(item)
        self.refund_cap_fen = line.cap_for(item.quantity)
        # The page's script puts the cap of the chosen quantity in the amount (the server checks again).
        self.caps_by_quantity = {quantity: yuan_text(line.cap_for(quantity))
                                 for quantity in range(1, min(item.quantity, 100) + 1)}
        self.fields["amount"].initial = fen_to_yuan(self.refund_cap_fen)
        self.fields["amount"].help_text = _(
            "Only for refunds: at most %(all)s for all %(quantity)d, %(unit)s for one."
        ) % {"all": format_fen(self.refund_cap_fen), "quantity": item.quantity, "unit": format_fen(line.cap_for(1))}
        reason_field = self.fields["reason"]
        assert isinstance(reason_field, forms.ChoiceField)
        reason_field.choices = [("", "—")] + [
            (f"{reason.request_type}:{reason.code}", reason.label(language)) for reason in reasons
        ]
        self.reason_types = {f"{r.request_type}:{r.code}": r.request_type for r in reasons}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reason = data.get("reason")
        if reason and data.get("request_type") and self.reason_types.get(reason) != data["request_type"]:
            self.add_error("reason", _("Choose one of the reasons offered for this type of request."))
        return data

    @property
    def reason_code(self) -> str:
        return str(self.cleaned_data["reason"]).split(":", 1)[1]

    @property
    def amount_fen(self) -> int:
        amount = self.cleaned_data.get("amount")
        # The field allows two decimal places, so this is exact: yuan in, integer fen out.
        return yuan_to_fen(amount) if amount is not None else 0


class TrackingForm(forms.Form):
    courier = forms.ChoiceField(label=_("Courier"), choices=Courier.choices)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=40)


class EvaluationForm(forms.Form):
    STARS = [(n, "★" * n) for n in range(5, 0, -1)]

    attitude = forms.TypedChoiceField(label=_("Service attitude"), choices=STARS, coerce=int, initial=5)
    speed = forms.TypedChoiceField(label=_("Handling speed"), choices=STARS, coerce=int, initial=5)
    result = forms.TypedChoiceField(label=_("Result"), choices=STARS, coerce=int, initial=5)
    suggestion = forms.CharField(label=_("Suggestion"), max_length=500, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message to customer service"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
