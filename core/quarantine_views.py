"""`/desk/quarantine/`: supervisors see what intake could not store, retry it, or discard it with a reason."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core import channel_registry, quarantine
from core.models import QuarantinedMessage

PERMISSION = "core.change_quarantinedmessage"
PAGE_SIZE = 100
# The page shows the start of each message; the admin shows more, and the row keeps all of it.
PREVIEW_BYTES = 4096


class DiscardForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, strip=True,
                             widget=forms.TextInput(attrs={"class": "input"}))


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def quarantine_list(request: HttpRequest) -> HttpResponse:
    held = list(QuarantinedMessage.objects.filter(state=QuarantinedMessage.State.HELD)
                .order_by("-last_seen_at", "-id")[:PAGE_SIZE])
    for message in held:
        message.preview = bytes(message.raw[:PREVIEW_BYTES]).decode("utf-8", "replace")  # type: ignore[attr-defined]
        message.channel_label = channel_registry.label(message.channel)  # type: ignore[attr-defined]
    return render(request, "core/quarantine.html", {"held": held, "channels": quarantine.channel_status()})


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def quarantine_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(QuarantinedMessage, pk=message_id)
    try:
        quarantine.retry(message_id=message.pk, actor=request.user)
    except quarantine.NotHeld:
        messages.info(request, _("That message was already retried or discarded."))
    except Exception as error:  # the row keeps the new reason; the supervisor reads it on the page
        messages.error(request, _("Still failing: %(reason)s") % {"reason": quarantine.describe(error)[:300]})
    else:
        messages.success(request, _("Stored: the message went through intake."))
    return HttpResponseRedirect(reverse("quarantine:list"))


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def quarantine_discard(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(QuarantinedMessage, pk=message_id)
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason to discard."))
    elif quarantine.discard(message_ids=[message.pk], actor=request.user, reason=form.cleaned_data["reason"]):
        messages.success(request, _("Discarded."))
    return HttpResponseRedirect(reverse("quarantine:list"))
