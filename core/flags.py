"""Feature flags (django-waffle) with a stable canary for staff.

Waffle's own percentage is decided per browser cookie, so an agent would see a feature come and go
between their laptop and their phone, and a supervisor could not tell who is in the canary. For
people who work at the desk the flag's percentage is read as "this share of agents", each agent
always landing in the same bucket (a hash of the flag name and their id); everyone else gets
waffle's usual rules. Users and groups named on the flag, and "everyone" set to yes or no, still win.
"""

import hashlib
from typing import Any

from django.http import HttpRequest
from waffle import flag_is_active, get_waffle_flag_model

DESK_PERMISSION = "profiles.use_desk"


def canary_bucket(name: str, user_id: int) -> int:
    """0-99, fixed for a flag and a user."""
    digest = hashlib.sha256(f"{name}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def flag_active(request: HttpRequest, name: str) -> bool:
    user: Any = request.user
    if not (user.is_authenticated and user.has_perm(DESK_PERMISSION)):
        return bool(flag_is_active(request, name))
    flag = get_waffle_flag_model().get(name)
    if flag.pk is None:  # not configured: as waffle treats unknown flags (what flag_is_active does once it has it)
        return bool(flag.is_active(request))
    if flag.everyone is not None:
        return bool(flag.everyone)
    if flag.is_active_for_user(user):
        return True
    return flag.percent is not None and canary_bucket(name, user.pk) < float(flag.percent)
