"""The second sign-in step for staff: set up an authenticator app once, then enter its code."""

import base64
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiles import customers, selectors, services


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code"), regex=r"^\s*\d{6}\s*$", max_length=8,
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


def _qr_data_uri(device: TOTPDevice) -> str:
    # Drawn here, not by a QR service: the secret must never leave the site.
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5))


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_verified():
        return redirect(_safe_next(request))
    enrolled = selectors.has_authenticator(user)
    form = TokenForm(request.POST or None)
    if form.is_valid():
        device = services.two_factor_check(
            user=user, token=form.cleaned_data["token"], ip_address=request.META.get("REMOTE_ADDR")
        )
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("This code is wrong or was already used. Wait for the next one and try again."))
    context: dict[str, Any] = {"form": form, "enrolled": enrolled, "next": _safe_next(request)}
    if not enrolled:
        device = services.two_factor_device_for_setup(user=user)
        context["qr"] = _qr_data_uri(device)
        context["secret"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "registration/two_factor.html", context)


class PreferencesForm(forms.Form):
    marketing_consent = forms.BooleanField(
        label=_("Send me offers and product recommendations"), required=False,
        help_text=_("You can change your mind at any time; we only contact you when this is ticked."))


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """The customer's own settings in the help center: today, whether we may market to them."""
    profile = selectors.customer_profile_for(request.user)
    if profile is None:
        raise PermissionDenied
    form = PreferencesForm(request.POST if request.method == "POST" else None,
                           initial={"marketing_consent": bool(profile.marketing_consent)})
    if request.method == "POST" and form.is_valid():
        customers.customer_set_marketing_consent(customer=profile.user, consent=form.cleaned_data["marketing_consent"],
                                                 source=customers.ConsentSource.HELP_CENTER)
        messages.success(request, _("Your preferences are saved."))
        return redirect("preferences")
    return render(request, "profiles/preferences.html", {"form": form, "profile": profile})
