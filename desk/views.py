from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from profiles import selectors as profile_selectors
from tickets import selectors as ticket_selectors
from tickets.services import notifications as notification_services

# Recent customers are a glance, not a list to work through; the queue comes with the tickets.
RECENT_CUSTOMERS_SHOWN = 10


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "own_agent": profile_selectors.agent_profile_for(request.user),
        "roster": list(profile_selectors.agents_for_desk(request.user)),
        "recent_customers": profile_selectors.customers_recent(RECENT_CUSTOMERS_SHOWN),
    }
    return render(request, "desk/home.html", context)


# The bell's dropdown shows this many unread notifications; the page shows the recent ones, read or not.
MENU_SHOWN = 10
PAGE_SHOWN = 50


def _notifications_context(request: HttpRequest, where: str) -> dict[str, Any]:
    if where == "menu":
        shown = ticket_selectors.unread_notifications(request.user, limit=MENU_SHOWN)
    else:
        shown = ticket_selectors.recent_notifications(request.user, limit=PAGE_SHOWN)
    return {"notifications": shown, "where": where,
            "any_unread": any(notification.read_at is None for notification in shown)}


def _where(request: HttpRequest) -> str:
    return "menu" if (request.GET.get("where") or request.POST.get("where")) == "menu" else "page"


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The notifications page; for htmx (the bell's dropdown, a swap after marking read) only the list."""
    where = _where(request)
    if request.headers.get("HX-Request"):
        return render(request, "desk/_notifications.html", _notifications_context(request, where))
    return render(request, "desk/notifications.html", _notifications_context(request, "page"))


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read. "Open" goes on to its ticket; from htmx ("Mark read") the list is drawn again."""
    notification = notification_services.mark_read(user=request.user, notification_id=notification_id)
    if notification is None:
        raise Http404
    if request.headers.get("HX-Request"):
        return render(request, "desk/_notifications.html", _notifications_context(request, _where(request)))
    if request.POST.get("open"):
        return HttpResponseRedirect(reverse("desk_tickets:ticket", args=[notification.ticket_id]))
    return HttpResponseRedirect(reverse("desk:notifications"))


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    notification_services.mark_all_read(user=request.user)
    if request.headers.get("HX-Request"):
        return render(request, "desk/_notifications.html", _notifications_context(request, _where(request)))
    return HttpResponseRedirect(reverse("desk:notifications"))
