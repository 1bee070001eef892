from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from profiles import selectors as profile_selectors
from profiles.models import AgentProfile

# Recent customers are a glance, not a list to work through; the queue comes with the tickets.
RECENT_CUSTOMERS_SHOWN = 10


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
def desk_home(request: HttpRequest) -> HttpResponse:
    context = {
        "own_agent": profile_selectors.agent_profile_for(request.user),
        "roster": list(profile_selectors.agents_for_desk(request.user)),
        "recent_customers": profile_selectors.customers_recent(RECENT_CUSTOMERS_SHOWN),
        # Offline is what closing the workbench means, so it is not offered as a choice.
        "presence_choices": [
            (value, label) for value, label in AgentProfile.Presence.choices if value != AgentProfile.Presence.OFFLINE
        ],
        # presence.js relabels badges live; it gets its words from the page, already translated.
        "desk_strings": {
            "presence": dict(AgentProfile.Presence.choices),
            "connecting": _("Connecting…"),
            "open": _("Live"),
            "closed": _("Reconnecting…"),
            "refused": _("Live updates are off"),
        },
    }
    return render(request, "chat/desk_home.html", context)
