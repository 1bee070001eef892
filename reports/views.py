from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reports import selectors


@login_required
@permission_required("profiles.view_reports", raise_exception=True)
def reports_home(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/home.html", {"headline": selectors.headline()})
