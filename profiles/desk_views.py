"""The desk's customer-360 page: who the customer is and everything they did, newest first.

profiles may not import the apps that hold the history, so the timeline comes from the providers
they register in core.customer_timeline.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core import customer_timeline
from core.api import ApplicationError
from core.forms import add_refusal
from core.masking import can_view_pii
from profiles import customers, selectors, services
from profiles.audit import client_ip
from profiles.customers import TAG_MAX
from profiles.models import AuditEntry, CustomerProfile

# Supervisors (and admins) merge duplicates; agents only read and tag.
MERGE_PERMISSION = "profiles.change_customerprofile"


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def customer_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    profile = selectors.customer_for_desk(customer_id)
    if can_view_pii(request.user):
        services.audit_record(
            action=AuditEntry.Action.PII_VIEWED, actor=request.user, ip_address=client_ip(request),
            subject=f"desk customer {profile.user.username}", detail={"customer": profile.user_id},
        )
    return _render(request, profile)


class TagForm(forms.Form):
    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=TAG_MAX,
                          widget=forms.TextInput(attrs={"class": "input", "placeholder": gettext_lazy("New tag")}))
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)


class MergeForm(forms.Form):
    target = forms.CharField(label=gettext_lazy("Merge into (username, shop id, phone or e-mail)"), max_length=150,
                             widget=forms.TextInput(attrs={"class": "input"}))
    confirm = forms.BooleanField(
        label=gettext_lazy("I checked these are the same person. The merge cannot be undone."))


def _render(request: HttpRequest, profile: CustomerProfile, *, tag_form: TagForm | None = None,
            merge_form: MergeForm | None = None, status: int = 200) -> HttpResponse:
    before = customer_timeline.Cursor.decode(request.GET.get("before", ""))
    return render(request, "profiles/customer.html", {
        "profile": profile, "customer": profile.user, "before": before,
        "page": customer_timeline.timeline_page(profile.user_id, before=before),
        "tag_form": tag_form or TagForm(), "merge_form": merge_form or MergeForm(),
        "may_merge": request.user.has_perm(MERGE_PERMISSION),
    }, status=status)


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def customer_tags(request: HttpRequest, customer_id: int) -> HttpResponse:
    profile = selectors.customer_for_desk(customer_id)
    form = TagForm(request.POST)
    if form.is_valid():
        change = customers.customer_tag_remove if form.cleaned_data["remove"] else customers.customer_tag_add
        try:
            change(customer_id=customer_id, tag=form.cleaned_data["tag"], actor=request.user)
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            return HttpResponseRedirect(reverse("desk_customers:customer", args=[customer_id]))
    return _render(request, profile, tag_form=form, status=400)


@login_required
@permission_required(MERGE_PERMISSION, raise_exception=True)
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def customer_merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    profile = selectors.customer_for_desk(customer_id)
    form = MergeForm(request.POST)
    if form.is_valid():
        target = selectors.customer_by_identifier(form.cleaned_data["target"])
        if target is None:
            form.add_error("target", _("No customer has this username, shop id, phone or e-mail."))
        else:
            try:
                customers.customer_merge(source=profile.user, target=target, actor=request.user,
                                         ip_address=client_ip(request))
            except ApplicationError as error:
                add_refusal(form, error)
            else:
                messages.success(request, _("%(source)s was merged into %(target)s.") % {
                    "source": profile.user, "target": target})
                return HttpResponseRedirect(reverse("desk_customers:customer", args=[target.pk]))
    return _render(request, profile, merge_form=form, status=400)
