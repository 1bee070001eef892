from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from knowledge import selectors


def help_home(request: HttpRequest) -> HttpResponse:
    context = {
        "query": request.GET.get("q", "").strip(),
        "categories": list(selectors.service_categories()),
        "stores": selectors.marketplace_stores(),
        "agents_online": selectors.agents_online_count(),
    }
    return render(request, "knowledge/help_home.html", context)
