"""Permission classes that declare, per HTTP method, which Django permissions a caller needs (Sentry style)."""

from collections.abc import Mapping
from typing import Any, ClassVar

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

# Reads that reveal nothing beyond GET are held to GET's requirement.
_SAME_AS_GET = frozenset({"HEAD", "OPTIONS"})


class MethodPermission(BasePermission):
    """Subclass and declare `required = {"GET": ("app.perm",), "POST": (...)}`; the caller needs all of them.

    A method the view handles but `required` leaves out is refused, so a new handler is closed until
    someone decides who may call it. A method the view does not handle passes through to DRF's 405.
    """

    required: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        method = request.method or "GET"
        if getattr(view, method.lower(), None) is None:
            return True
        needed = self.required.get("GET" if method in _SAME_AS_GET else method)
        return needed is not None and user.has_perms(needed)
