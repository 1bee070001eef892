from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, Group, PermissionsMixin, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import config_cache
from core.crypto import blind_index
from core.fields import BlindIndexedModelMixin, BlindIndexField, EncryptedTextField
from core.history import HistoricalRecords
from core.prepared import PreparedQuery, set_prefetched


class AccountManager(UserManager["User"]):
    def get_by_phone(self, phone: str) -> "User":
        return self.get(phone_index=blind_index(phone, kind="phone"))

    def get_by_email(self, email: str) -> "User":
        return self.get(email_index=blind_index(email, kind="email"))


class User(BlindIndexedModelMixin, AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in. Phone and email are encrypted; their blind indexes allow lookup."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_index = BlindIndexField(source="phone", kind="phone", verbose_name=_("phone index"))
    email = EncryptedTextField(_("email"), blank=True, default="")
    email_index = BlindIndexField(source="email", kind="email", verbose_name=_("email index"))
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects: ClassVar[AccountManager] = AccountManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_pii", _("Can see customers' phone, email and address in clear")),
            ("use_desk", _("Can work in the agent workbench")),
            ("use_merchant_portal", _("Can use the merchant portal")),
            ("view_reports", _("Can read reports")),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)

    def role_groups(self) -> list[Any]:
        # Within one request (a config_cache run scope) the groups are read once into their prefetch cache (which
        # groups.add / remove / set / clear on this object drop): a request asks several times (permission, view,
        # serializer). A socket's user lives as long as its connection: it asks each time, so a role taken away
        # applies at once. Prefetched groups (pages that render the navigation) are used as they are.
        if config_cache.in_run_scope() and "groups" not in getattr(self, "_prefetched_objects_cache", {}):
            self.load_role_groups()
        # The prefetched rows themselves: `self.groups.all()` returns the same after building a related manager
        # class and a queryset, on every one of the request's several calls.
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("groups")
        return list(prefetched if prefetched is not None else self.groups.all())

    def load_role_groups(self) -> None:
        """Read the groups into their prefetch cache, as prefetch_related_objects does, with SQL compiled once
        (core.prepared): every desk request does this, and compiling the join cost more than running it."""
        set_prefetched(self, "groups", _ROLE_GROUPS.all(self.pk))

    def keep_role_groups(self, ids: list[int], names: list[str]) -> None:
        """The groups read in the same statement as the user (profiles.permissions.get_user, in a request), kept
        as load_role_groups keeps them: one round trip less on every signed-in request."""
        alias = self._state.db or "default"
        set_prefetched(self, "groups", [Group.from_db(alias, ["id", "name"], row)
                                        for row in zip(ids, names, strict=True)])

    @property
    def role_names(self) -> set[str]:
        return {group.name for group in self.role_groups()}


_ROLE_GROUPS = PreparedQuery(Group, lambda user_id: Group.objects.filter(user=user_id).order_by("pk"))


class Merchant(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="stores", verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    staff = models.ManyToManyField(User, through="StoreMembership", related_name="stores", blank=True,
                                   verbose_name=_("staff"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="store_unique_name_per_merchant")]

    def __str__(self) -> str:
        return self.name


class StoreMembership(models.Model):
    class StoreRole(models.TextChoices):
        MANAGER = "manager", _("Manager")
        STAFF = "staff", _("Staff")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("store"))
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="store_memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=StoreRole.choices, default=StoreRole.STAFF)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("store membership")
        verbose_name_plural = _("store memberships")
        constraints = [models.UniqueConstraint(fields=["store", "user"], name="membership_unique_user_per_store")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store}"


class Skill(models.Model):
    """What an agent can handle (售后, 物流, 支付, 商品咨询); routing matches work to skills.

    Kept in profiles, not tickets, because the agent profile refers to it and profiles may not
    import upwards.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Presence(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        BUSY = "busy", _("Busy")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent_profile", verbose_name=_("user"))
    skills = models.ManyToManyField(Skill, related_name="agents", blank=True, verbose_name=_("skills"))
    teams = models.ManyToManyField(Team, related_name="agents", blank=True, verbose_name=_("teams"))
    capacity = models.PositiveSmallIntegerField(_("concurrent chats"), default=5)
    # What everyone sees and routing reads, settled by profiles.services from the three fields below.
    presence = models.CharField(_("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    # The status the agent picked; kept across pages and tabs until all of their tabs are gone.
    chosen_presence = models.CharField(_("chosen status"), max_length=10, choices=Presence.choices,
                                       default=Presence.ONLINE)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # The newest keyboard or mouse use any of the agent's tabs reported: "online" turns "away" when it is old.
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_seen_at", "last_active_at"])

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        indexes = [
            # The stale-presence sweep scans only online agents by heartbeat.
            models.Index(fields=["last_seen_at"], name="agent_online_seen_idx", condition=models.Q(presence="online")),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(capacity__lte=100), name="agent_capacity_max_100")]

    def __str__(self) -> str:
        return str(self.user)


class PresenceTab(models.Model):
    """One open desk tab (its presence socket) of an agent; the agent is offline once none is live.

    A heartbeat pushes `expires_at` forward by the grace period; closing the socket shortens it to a
    few seconds, so moving from one desk page to the next never shows the agent offline in between."""

    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="tabs", verbose_name=_("agent"))
    key = models.CharField(_("socket"), max_length=100, unique=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("open desk tab")
        verbose_name_plural = _("open desk tabs")

    def __str__(self) -> str:
        return f"{self.agent_id}:{self.key}"


class CustomerProfile(models.Model):
    class Segment(models.TextChoices):
        NEW = "new", pgettext_lazy("customer segment", "New")
        HIGH_VALUE = "high_value", pgettext_lazy("customer segment", "High value")
        ACTIVE = "active", pgettext_lazy("customer segment", "Active")
        SILENT = "silent", pgettext_lazy("customer segment", "Silent")

    class VipLevel(models.IntegerChoices):
        REGULAR = 0, _("Regular")
        SILVER = 1, _("Silver")
        GOLD = 2, _("Gold")
        PLATINUM = 3, _("Platinum")
        DIAMOND = 4, _("Diamond")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="customer_profile", verbose_name=_("user"))
    external_id = models.CharField(_("external id"), max_length=64, unique=True, null=True, blank=True)
    vip_level = models.PositiveSmallIntegerField(_("VIP level"), choices=VipLevel.choices, default=VipLevel.REGULAR)
    tags = ArrayField(models.CharField(max_length=30), verbose_name=_("tags"), default=list, blank=True)
    # From RFM scores, recomputed nightly by the after-sales app (which holds the orders).
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, blank=True)
    segment_updated_at = models.DateTimeField(_("segment updated"), null=True, blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    address = EncryptedTextField(_("address"), blank=True, default="")
    # Tags the nightly TagRule run set; `tags` are the ones people added. Kept apart so a rule that no
    # longer matches takes back only its own tag.
    rule_tags = ArrayField(models.CharField(max_length=30), verbose_name=_("rule tags"), default=list, blank=True)
    # None: never asked. The history table keeps every change with its source and time.
    marketing_consent = models.BooleanField(_("marketing consent"), null=True, blank=True)
    marketing_consent_at = models.DateTimeField(_("marketing consent given or withdrawn"), null=True, blank=True)
    marketing_consent_source = models.CharField(_("marketing consent source"), max_length=20, blank=True)
    # A duplicate merged into another customer keeps its row (and history) for the audit trail.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("merged into"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer profile")
        verbose_name_plural = _("customer profiles")
        indexes = [models.Index(fields=["vip_level"], name="customer_vip_idx"),
                   models.Index(fields=["segment"], name="customer_segment_idx")]

    def __str__(self) -> str:
        return str(self.user)


class ChannelIdentity(models.Model):
    """Who a customer is on a channel that names people by its own id (a WeChat openid, a Weibo uid), so
    every message from that id lands on the same customer. Phone and e-mail need no row: the user's
    blind indexes find them."""

    class Kind(models.TextChoices):
        WECHAT = "wechat", _("WeChat")
        WEIBO = "weibo", _("Weibo")
        SOCIAL = "social", _("Other social channel")

    customer = models.ForeignKey(User, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="channel_identities")
    kind = models.CharField(_("channel"), max_length=20, choices=Kind.choices)
    # The account it belongs to: openids differ per Official Account, uids per social source.
    account = models.CharField(_("account"), max_length=64)
    external_id = models.CharField(_("id on the channel"), max_length=128)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")
        constraints = [models.UniqueConstraint(fields=["kind", "account", "external_id"],
                                               name="channel_identity_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"


class AuditEntry(models.Model):
    """A security-relevant fact: who signed in or failed to, who changed whose permissions, who saw
    unmasked PII, who exported data. Append-only: never edited, so it has no history of its own."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOGOUT = "logout", _("Signed out")
        TWO_FACTOR_ENROLLED = "2fa_enrolled", _("Two-factor authentication set up")
        TWO_FACTOR_VERIFIED = "2fa_verified", _("Two-factor code accepted")
        TWO_FACTOR_FAILED = "2fa_failed", _("Two-factor code refused")
        PERMISSIONS_CHANGED = "permissions_changed", _("Roles or permissions changed")
        PII_VIEWED = "pii_viewed", _("Unmasked personal data viewed")
        EXPORT = "export", _("Data exported")
        CUSTOMER_MERGED = "customer_merged", _("Customers merged")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    actor = models.ForeignKey(
        User, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The username tried at a failed sign-in is kept even when no such user exists.
    username = models.CharField(_("username"), max_length=150, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "-created_at"], name="audit_action_recent_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.username or self.subject}"


class SegmentPolicy(models.Model):
    """The RFM thresholds of the customer segments, edited in admin; the first row is the one used."""

    new_within_days = models.PositiveIntegerField(_("new: joined within (days)"), default=30)
    active_within_days = models.PositiveIntegerField(_("active: ordered within (days)"), default=90)
    window_days = models.PositiveIntegerField(_("high value: look back (days)"), default=365)
    high_value_min_spend_fen = models.PositiveBigIntegerField(_("high value: spent at least (fen)"),
                                                              default=500_000)
    high_value_min_orders = models.PositiveIntegerField(_("high value: or at least this many orders"), default=12)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("segment policy")
        verbose_name_plural = _("segment policies")

    def __str__(self) -> str:
        return str(_("Segment policy"))

    @classmethod
    def current(cls) -> "SegmentPolicy":
        return cls.objects.order_by("pk").first() or cls()


class TagRule(models.Model):
    """A tag the nightly run puts on every customer matching a rule, and takes off when they stop matching.

    `kind` names a fact some app provides (core.customer_tags): "vip_level" at least N,
    "refund_requests_90d" at least N, "segment" equal to a value...
    """

    tag = models.CharField(_("tag"), max_length=30)
    kind = models.CharField(_("rule"), max_length=40)
    threshold = models.PositiveIntegerField(_("at least"), default=1)
    value = models.CharField(_("value"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")

    def __str__(self) -> str:
        return self.tag
