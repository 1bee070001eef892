"""Signal receivers that write the audit log: sign-ins, sign-outs and permission changes."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.http import HttpRequest
from simple_history.models import HistoricalRecords

from profiles import services
from profiles.models import AuditEntry

_CHANGES = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}


def client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    services.audit_record(action=AuditEntry.Action.LOGIN, actor=user, ip_address=client_ip(request))


def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.audit_record(action=AuditEntry.Action.LOGOUT, actor=user, ip_address=client_ip(request))


def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    services.audit_record(
        action=AuditEntry.Action.LOGIN_FAILED, username=str(credentials.get("username", ""))[:150],
        ip_address=client_ip(request),
    )


def _permissions_changed(sender: Any, instance: Any, action: str, model: Any, pk_set: set[int] | None,
                         **kwargs: Any) -> None:
    # Only changes a person makes through a request (admin, API). Code that sets permissions — the
    # role sync after every migrate, demo data — is not someone's decision to audit.
    request = getattr(HistoricalRecords.context, "request", None)
    if action not in _CHANGES or request is None:
        return
    names = sorted(str(obj) for obj in model.objects.filter(pk__in=pk_set or ()))
    services.audit_record(
        action=AuditEntry.Action.PERMISSIONS_CHANGED, actor=request.user, ip_address=client_ip(request),
        subject=f"{instance._meta.verbose_name}: {getattr(instance, 'username', instance)}",
        detail={"field": sender._meta.model_name, "change": _CHANGES[action], "items": names},
    )


def subscribe() -> None:
    from django.contrib.auth.models import Group

    from profiles.models import User

    user_logged_in.connect(_logged_in, dispatch_uid="profiles.audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="profiles.audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="profiles.audit.login_failed")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_permissions_changed, sender=through, dispatch_uid=f"profiles.audit.{through.__name__}")
