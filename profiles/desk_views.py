"""The desk's customer-360 page: who the customer is and everything they did, newest first.

profiles may not import the apps that hold the history, so the timeline comes from the providers
they register in service_center.core.customer_timeline.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from profiles import selectors, services
from profiles.audit import client_ip
from profiles.models import AuditEntry
from service_center.core import customer_timeline
from service_center.core.masking import can_view_pii


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def customer_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    profile = selectors.customer_for_desk(customer_id)
    # A hand-edited "before" that is not a cursor starts from the newest entries instead of failing.
    before = customer_timeline.Cursor.decode(request.GET.get("before", ""))
    page = customer_timeline.timeline_page(customer_id, before=before)
    if can_view_pii(request.user):
        services.audit_record(
            action=AuditEntry.Action.PII_VIEWED, actor=request.user, ip_address=client_ip(request),
            subject=f"desk customer {profile.user.username}", detail={"customer": profile.user_id},
        )
    return render(request, "profiles/customer.html", {
        "profile": profile, "customer": profile.user, "page": page, "before": before,
    })
