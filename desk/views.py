from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from profiles import selectors as profile_selectors

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

