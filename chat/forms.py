"""Forms of the chat pages: they parse and validate; chat.services does the writing."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chat.services.tickets import Contact
from core.masking import mask_email, mask_phone
from profiles.models import User
from tickets.forms import MultipleFileField
from tickets.models import Category, Priority, Ticket

# The customer says how urgent it is; the ticket's priority follows (and with it the SLA target).
URGENCY_CHOICES = [
    (Priority.LOW, _("It can wait")),
    (Priority.NORMAL, _("Normal")),
    (Priority.HIGH, _("Urgent")),
    (Priority.URGENT, _("Very urgent")),
]


class LeaveMessageForm(forms.Form):
    category = forms.ModelChoiceField(label=_("What is it about?"), queryset=Category.objects.none(), required=False,
                                      empty_label=_("Something else"), widget=forms.Select(attrs={"class": "select"}))
    priority = forms.ChoiceField(label=_("How urgent is it?"), choices=URGENCY_CHOICES, initial=Priority.NORMAL,
                                 widget=forms.Select(attrs={"class": "select"}))
    contact = forms.ChoiceField(label=_("How should we reach you?"), widget=forms.RadioSelect)
    description = forms.CharField(label=_("Your message"), max_length=5000,
                                  widget=forms.Textarea(attrs={"class": "input", "rows": 5}))
    attachments = MultipleFileField(label=_("Photos or documents"),
                                    help_text=_("Images, PDF or text; up to 5 files."))

    def __init__(self, *args: Any, customer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        # Only the contact details on file are offered, shown masked as on every customer page.
        choices: list[tuple[str, Any]] = [(Contact.TICKET, _("Reply in the help center (My tickets)"))]
        if customer.phone:
            choices.append((Contact.PHONE, _("Call me at %(phone)s") % {"phone": mask_phone(customer.phone)}))
        if customer.email:
            choices.append((Contact.EMAIL, _("E-mail me at %(email)s") % {"email": mask_email(customer.email)}))
        contact = self.fields["contact"]
        assert isinstance(contact, forms.ChoiceField)
        contact.choices = choices
        contact.initial = Contact.TICKET


class ChatToTicketForm(forms.Form):
    """New ticket (subject, optional priority) or, with `ticket` chosen, add the chat to that ticket."""

    subject = forms.CharField(label=_("Subject of the new ticket"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"class": "input"}))
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=[("", _("By the routing rules")), *Priority.choices],
                                 widget=forms.Select(attrs={"class": "select"}))
    ticket = forms.TypedChoiceField(label=_("or add to the customer's ticket"), required=False, coerce=int,
                                    empty_value=None, widget=forms.Select(attrs={"class": "select"}))

    def __init__(self, *args: Any, tickets: list[Ticket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ticket"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("— a new ticket —")), *[
            (ticket.pk, f"{ticket.number} · {ticket.subject} · {ticket.get_status_display()}") for ticket in tickets]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("ticket") is None and not (data.get("subject") or "").strip():
            self.add_error("subject", _("Give the new ticket a subject, or choose a ticket to add the chat to."))
        return data
