"""Forms of the workbench and the customer pages: they parse and validate; services do the writing."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from profiles.models import Team, User
from profiles.selectors import agent_users
from tickets.models import BulkJob, Category, Channel, Priority, Status, TicketMessage

MAX_UPLOADS = 5
TEXT = forms.Textarea(attrs={"class": "input", "rows": 4})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the attachments service."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "input"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_UPLOADS:
            raise forms.ValidationError(_("At most %(count)s files.") % {"count": MAX_UPLOADS})
        limit = settings.TICKETS_ATTACHMENT_MAX_BYTES
        for upload in files:
            if upload.size is not None and upload.size > limit:
                raise forms.ValidationError(_("%(name)s is larger than %(limit)s MB.") % {
                    "name": upload.name, "limit": round(limit / 1024 / 1024, 1)})
        return [super(MultipleFileField, self).clean(upload, initial) for upload in files]


def _blank(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class QueueFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=_blank(Channel.choices, _("All channels")),
                                widget=forms.Select(attrs={"class": "select"}))
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=_blank(Priority.choices, _("All priorities")),
                                 widget=forms.Select(attrs={"class": "select"}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=_blank([(s.value, s.label) for s in Status if s not in (Status.SOLVED,
                                                                                               Status.CLOSED)],
                                              _("All open")),
                               widget=forms.Select(attrs={"class": "select"}))
    tag = forms.CharField(label=_("Tag"), required=False, max_length=30,
                          widget=forms.TextInput(attrs={"class": "input", "placeholder": _("Tag")}))


class SearchFilterForm(QueueFilterForm):
    """The queue filters beside a search, which also finds solved and closed tickets."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=_blank(Status.choices, _("Any status")),
                               widget=forms.Select(attrs={"class": "select"}))


class MessageForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketMessage.Kind.choices, initial=TicketMessage.Kind.REPLY,
                             widget=forms.RadioSelect)
    body = forms.CharField(label=_("Message"), max_length=20000, widget=TEXT)
    attachments = MultipleFileField(label=_("Attachments"))
    # The newest message the page showed: a reply is held while a newer public message is unseen (collision).
    seen_message = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class LookupChoiceField(forms.ModelChoiceField):
    """A person or team typed by name (the page suggests names as one types, from `views.lookup`), so the
    page never lists every agent and team. The id is accepted too (the API, older pages)."""

    def __init__(self, *, kind: str, name_field: str, **kwargs: Any) -> None:
        self.name_field = name_field
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "class": "input", "autocomplete": "off", "list": f"lookup-{kind}", "data-lookup": kind,
            "placeholder": _("Type a name"),
        }))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        value = str(value or "").strip()
        if value in self.empty_values:
            return None
        key = "pk" if value.isdigit() else self.name_field
        found = self.queryset.filter(**{key: value}).first()  # type: ignore[union-attr]
        if found is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found

    def prepare_value(self, value: Any) -> Any:
        return getattr(value, self.name_field, value)


def agent_field(label: Any, help_text: Any = "") -> LookupChoiceField:
    return LookupChoiceField(kind="agent", name_field="username", label=label, required=False,
                             queryset=agent_users(), help_text=help_text)


def team_field(label: Any) -> LookupChoiceField:
    return LookupChoiceField(kind="team", name_field="name", label=label, required=False,
                             queryset=Team.objects.all())


class AssignForm(forms.Form):
    assignee = agent_field(_("Agent"), help_text=_("Leave empty to put it back in the queue."))
    force = forms.BooleanField(label=_("Force (supervisors: even if offline or full)"), required=False)


class TransferForm(forms.Form):
    to_team = team_field(_("Team"))
    to_agent = agent_field(_("or agent"))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput(attrs={"class": "input"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("to_team")) == bool(data.get("to_agent")):
            raise forms.ValidationError(_("Choose either a team or an agent."))
        return data


class EscalateForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=300, required=False,
                           widget=forms.TextInput(attrs={"class": "input"}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices,
                               widget=forms.Select(attrs={"class": "select"}))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"class": "input"}))
    override = forms.BooleanField(label=_("Override open sub-tickets (supervisors)"), required=False)


class MergeForm(forms.Form):
    target = forms.CharField(label=_("Merge into ticket number"), max_length=20,
                             widget=forms.TextInput(attrs={"class": "input", "placeholder": "T2026…"}))


class SubTicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"class": "input"}))
    body = forms.CharField(label=_("What is needed"), max_length=20000,
                           widget=forms.Textarea(attrs={"class": "input", "rows": 2}))
    team = team_field(_("Team"))


class ContactForm(forms.Form):
    """The help center's "contact us": becomes a ticket through the create service."""

    # Built once; each form clones it. Building the filter per request was ~6% of a help-center create's CPU.
    category = forms.ModelChoiceField(label=_("What is it about?"),
                                      queryset=Category.objects.filter(is_active=True).order_by("name"),
                                      required=False, empty_label=_("Something else"),
                                      widget=forms.Select(attrs={"class": "select"}))
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"class": "input"}))
    order_number = forms.CharField(label=_("Order number (if any)"), max_length=40, required=False,
                                   widget=forms.TextInput(attrs={"class": "input"}))
    description = forms.CharField(label=_("Describe the problem"), max_length=20000,
                                  widget=forms.Textarea(attrs={"class": "input", "rows": 6}))
    attachments = MultipleFileField(label=_("Photos or documents"),
                                    help_text=_("Images, PDF or text; up to 5 files."))


class CustomerReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20000, widget=TEXT)
    attachments = MultipleFileField(label=_("Attachments"))


SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class SurveyForm(forms.Form):
    attitude = forms.TypedChoiceField(label=_("Attitude"), choices=SCORE_CHOICES, coerce=int,
                                      widget=forms.RadioSelect)
    speed = forms.TypedChoiceField(label=_("Speed"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect)
    result = forms.TypedChoiceField(label=_("Result"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect)
    suggestion = forms.CharField(label=_("Suggestions (optional)"), max_length=2000, required=False,
                                 widget=forms.Textarea(attrs={"class": "input", "rows": 3}))


class NewTicketForm(forms.Form):
    """A ticket an agent opens for a customer (a phone call, a walk-in, an e-mail read elsewhere)."""

    customer = forms.CharField(label=_("Customer"), max_length=254,
                               help_text=_("Username, shop customer id, phone or e-mail."),
                               widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE,
                                widget=forms.Select(attrs={"class": "select"}))
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=_blank(Priority.choices, _("By the rules")),
                                 widget=forms.Select(attrs={"class": "select"}))
    subject = forms.CharField(label=_("Subject"), max_length=200,
                              widget=forms.TextInput(attrs={"class": "input"}))
    body = forms.CharField(label=_("What the customer said"), max_length=20000, widget=TEXT)
    order_number = forms.CharField(label=_("Order number"), max_length=40, required=False,
                                   widget=forms.TextInput(attrs={"class": "input"}))
    attachments = MultipleFileField(label=_("Attachments"))

    def clean_customer(self) -> User:
        from profiles.selectors import customer_by_identifier

        customer = customer_by_identifier(self.cleaned_data["customer"])
        if customer is None:
            raise forms.ValidationError(_("No customer has this username, id, phone or e-mail."))
        return customer


class MacroForm(forms.Form):
    macro = forms.IntegerField(label=_("Macro"), min_value=1, widget=forms.HiddenInput)


class BulkForm(forms.Form):
    """A bulk action from the queue: the selected rows, or every ticket the current view and filters match."""

    SCOPES = (("selected", _("Selected tickets")), ("matching", _("Every ticket matching this view")))
    action = forms.ChoiceField(label=_("Action"), choices=BulkJob.Action.choices,
                               widget=forms.Select(attrs={"class": "select"}))
    scope = forms.ChoiceField(label=_("Which tickets"), choices=SCOPES, initial="selected",
                              widget=forms.RadioSelect)
    # Typed with the ticket page's suggestions (static/tickets/lookup.js), not a list of every agent.
    assignee = agent_field(_("Agent"), help_text=_("Leave empty to put it back in the queue."))
    status = forms.ChoiceField(label=_("New status"), choices=[("", "---------"), *Status.choices], required=False,
                               widget=forms.Select(attrs={"class": "select"}))
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", "---------"), *Priority.choices],
                                 required=False, widget=forms.Select(attrs={"class": "select"}))
    tag = forms.CharField(label=_("Tag"), max_length=30, required=False,
                          widget=forms.TextInput(attrs={"class": "input"}))
    macro = forms.TypedChoiceField(label=_("Macro"), coerce=int, required=False, empty_value=None,
                                   widget=forms.Select(attrs={"class": "select"}))
    target = forms.CharField(label=_("Merge into ticket number"), max_length=20, required=False,
                             widget=forms.TextInput(attrs={"class": "input", "placeholder": "T2026…"}))
    view = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)
    filters = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, agents: Any = None, macros: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (  # type: ignore[attr-defined]
            agents if agents is not None else agent_users().order_by("username"))
        self.fields["macro"].choices = [  # type: ignore[attr-defined]
            ("", "---------"), *((macro.pk, macro.title) for macro in macros)]


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, widget=forms.TextInput(attrs={"class": "input"}))
    team = forms.ModelChoiceField(label=_("Share with team"), queryset=Team.objects.none(), required=False,
                                  empty_label=_("Only me"), widget=forms.Select(attrs={"class": "select"}))
    queue_view = forms.CharField(max_length=12, required=False, widget=forms.HiddenInput)
    terms = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    filters = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()  # type: ignore[attr-defined]


class SideConversationForm(forms.Form):
    """A new side conversation from the ticket page: to a merchant, a courier or another team."""

    counterpart = forms.CharField(label=_("To (e-mail)"), max_length=254, widget=forms.TextInput(attrs={
        "class": "input", "list": "side-addresses", "autocomplete": "off", "inputmode": "email",
        "placeholder": _("Type or pick an address")}))
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"class": "input"}))
    body = forms.CharField(label=_("Message"), max_length=20000, widget=TEXT)
    attachments = MultipleFileField(label=_("Attachments"))


class SideReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=20000, widget=TEXT)
    attachments = MultipleFileField(label=_("Attachments"))
