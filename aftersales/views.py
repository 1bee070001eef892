from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from profiles import selectors as profile_selectors


@login_required
def aftersales_home(request: HttpRequest) -> HttpResponse:
    customer = profile_selectors.customer_profile_for(request.user)
    return render(request, "aftersales/home.html", {"customer": customer})


@login_required
@permission_required("profiles.use_merchant_portal", raise_exception=True)
def merchant_home(request: HttpRequest) -> HttpResponse:
    stores = profile_selectors.stores_for_user(request.user)
    return render(request, "aftersales/merchant_home.html", {"stores": stores})


@login_required
@permission_required("profiles.use_merchant_portal", raise_exception=True)
def merchant_store(request: HttpRequest, store_id: int) -> HttpResponse:
    store = profile_selectors.store_with_staff_for_user(request.user, store_id)
    return render(request, "aftersales/merchant_store.html", {"store": store})
