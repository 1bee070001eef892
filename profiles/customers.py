"""Customer-360 writes: marketing consent, manual tags, rule-based tags, merging duplicate customers."""

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import customer_merge as merge_registry
from core import customer_tags, events
from core.api import ApplicationError
from profiles import services
from profiles.models import AuditEntry, CustomerProfile, TagRule, User

TAG_MAX = 30


class ConsentSource:
    HELP_CENTER = "help_center"
    API = "api"
    MERGE = "merge"


def customer_set_marketing_consent(*, customer: User, consent: bool, source: str) -> CustomerProfile:
    """Record the customer's own yes or no to marketing; history keeps when and from where."""
    with transaction.atomic():
        profile = CustomerProfile.objects.select_for_update().filter(user_id=customer.pk).first()
        if profile is None:
            raise ApplicationError(_("Only customers choose whether to receive marketing."), code="permission_denied")
        profile.marketing_consent = consent
        profile.marketing_consent_at = timezone.now()
        profile.marketing_consent_source = source
        profile._change_reason = f"marketing consent {'given' if consent else 'withdrawn'} ({source})"  # type: ignore[attr-defined]
        profile.save(update_fields=["marketing_consent", "marketing_consent_at", "marketing_consent_source",
                                    "updated_at"])
        events.publish("customer.consent_changed", customer_id=customer.pk, consent=consent)
    return profile


def marketing_audience() -> QuerySet[CustomerProfile]:
    """The customers anything that markets or recommends products may reach: those who said yes, whose
    account is active and not merged away. Never asked counts as no."""
    return (CustomerProfile.objects.select_related("user")
            .filter(marketing_consent=True, merged_into__isnull=True, user__is_active=True).order_by("pk"))


def _clean_tag(tag: str) -> str:
    text = " ".join(tag.split())
    if not text or len(text) > TAG_MAX:
        raise ApplicationError(_("A tag has 1 to %(max)s characters.") % {"max": TAG_MAX},
                               fields={"tag": [_("A tag has 1 to %(max)s characters.") % {"max": TAG_MAX}]})
    return text


def customer_tag_add(*, customer_id: int, tag: str, actor: Any) -> CustomerProfile:
    text = _clean_tag(tag)
    with transaction.atomic():
        profile = CustomerProfile.objects.select_for_update().get(user_id=customer_id)
        if text not in profile.tags:
            profile.tags = [*profile.tags, text]
            profile._history_user = actor  # type: ignore[attr-defined]
            profile.save(update_fields=["tags", "updated_at"])
    return profile


def customer_tag_remove(*, customer_id: int, tag: str, actor: Any) -> CustomerProfile:
    with transaction.atomic():
        profile = CustomerProfile.objects.select_for_update().get(user_id=customer_id)
        if tag in profile.tags:
            profile.tags = [existing for existing in profile.tags if existing != tag]
            profile._history_user = actor  # type: ignore[attr-defined]
            profile.save(update_fields=["tags", "updated_at"])
    return profile


def _profile_tag_kinds() -> tuple[customer_tags.TagKind, ...]:
    def vip(threshold: int, value: str) -> set[int]:
        return set(CustomerProfile.objects.filter(vip_level__gte=threshold).values_list("user_id", flat=True))

    def segment(threshold: int, value: str) -> set[int]:
        return set(CustomerProfile.objects.filter(segment=value).values_list("user_id", flat=True))

    return (
        customer_tags.TagKind("vip_level", gettext_lazy("VIP level at least"), vip),
        customer_tags.TagKind("segment", gettext_lazy("Segment is"), segment, uses_value=True),
    )


def register_tag_kinds() -> None:
    for kind in _profile_tag_kinds():
        customer_tags.register(kind)


def customer_tags_apply() -> int:
    """Put each active rule's tag on the customers matching it and take rule tags off those who no longer
    do; manual tags are never touched. Returns how many customers changed. Run nightly."""
    known = customer_tags.kinds()
    wanted: dict[int, set[str]] = {}
    for rule in TagRule.objects.filter(active=True).order_by("pk"):
        kind = known.get(rule.kind)
        if kind is None:
            continue
        for user_id in kind.matching(rule.threshold, rule.value):
            wanted.setdefault(user_id, set()).add(rule.tag)
    changed = 0
    current = (CustomerProfile.objects.filter(Q(user_id__in=list(wanted)) | ~Q(rule_tags=[]))
               .only("pk", "user_id", "rule_tags").order_by("pk"))
    with transaction.atomic():
        for profile in current.iterator(chunk_size=2000):
            tags = sorted(wanted.get(profile.user_id, set()))
            if tags != sorted(profile.rule_tags):
                CustomerProfile.objects.filter(pk=profile.pk).update(rule_tags=tags, updated_at=timezone.now())
                changed += 1
    return changed


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, code="merge_refused", status_code=409, fields={"target": [message]})


def customer_merge(*, source: User, target: User, actor: Any, ip_address: str | None = None) -> CustomerProfile:
    """Merge duplicate `source` into `target`: every app's rows move (core.customer_merge),
    tags are unioned, the most recent explicit consent wins, the source account is deactivated and its
    profile marked merged (kept for the audit trail). One transaction, one audit entry."""
    if source.pk == target.pk:
        raise _refuse(_("A customer cannot be merged into themself."))
    if source.is_staff or target.is_staff:
        raise _refuse(_("Staff accounts are never merged."))
    with transaction.atomic():
        profiles = {profile.user_id: profile for profile in
                    CustomerProfile.objects.select_for_update().filter(user_id__in=(source.pk, target.pk))
                    .order_by("pk")}
        if len(profiles) != 2:
            raise _refuse(_("Only customers are merged."))
        duplicate, keeper = profiles[source.pk], profiles[target.pk]
        if duplicate.merged_into_id is not None or keeper.merged_into_id is not None:
            raise _refuse(_("One of these customers was already merged."))
        moved: dict[str, int] = {}
        for handler in merge_registry.handlers():
            moved.update(handler.move(source.pk, target.pk))
        keeper.tags = sorted(set(keeper.tags) | set(duplicate.tags))
        keeper.rule_tags = sorted(set(keeper.rule_tags) | set(duplicate.rule_tags))
        keeper.vip_level = max(keeper.vip_level, duplicate.vip_level)
        if duplicate.marketing_consent_at and (keeper.marketing_consent_at is None
                                               or duplicate.marketing_consent_at > keeper.marketing_consent_at):
            keeper.marketing_consent = duplicate.marketing_consent
            keeper.marketing_consent_at = duplicate.marketing_consent_at
            keeper.marketing_consent_source = duplicate.marketing_consent_source
        if not keeper.external_id and duplicate.external_id:
            # The shop may still push the duplicate's id: it now names the customer kept.
            keeper.external_id, duplicate.external_id = duplicate.external_id, None
        duplicate.merged_into = keeper
        for profile in (duplicate, keeper):
            profile._history_user = actor  # type: ignore[attr-defined]
            profile._change_reason = f"merged customer {source.username} into {target.username}"  # type: ignore[attr-defined]
        duplicate.save()
        keeper.save()
        User.objects.filter(pk=source.pk).update(is_active=False)
        services.audit_record(
            action=AuditEntry.Action.CUSTOMER_MERGED, actor=actor, ip_address=ip_address,
            subject=f"{source.username} → {target.username}",
            detail={"source": source.pk, "target": target.pk, "moved": moved},
        )
        events.publish("customer.merged", source_id=source.pk, target_id=target.pk)
    return keeper
