"""Admin for people and organisations: history on every page, PII masked for staff without `view_pii`.

Encrypted fields cannot be searched in SQL, so search covers usernames and names, plus an exact
phone / e-mail match through the blind index for people allowed to see PII.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.admin import GroupManage, GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from core import customer_tags, events
from core.admin_mixins import ReadOnlyAdminMixin
from core.crypto import blind_index
from core.fields import BlindIndexField, EncryptedTextField
from core.masking import MASKERS, PiiKind, can_view_pii
from profiles import services
from profiles.models import (
    AgentProfile,
    AuditEntry,
    CustomerProfile,
    Merchant,
    SegmentPolicy,
    Skill,
    Store,
    StoreMembership,
    TagRule,
    Team,
    User,
)

PHONE_MAX_CHARS = 20
MIN_PHONE_DIGITS = 7  # shorter search terms are order numbers or ids, not phones


class PiiHistoryHelper(HistoricalRecordContextHelper):
    """History diffs without blind-index noise, and with PII masked for people who may not see it."""

    def __init__(self, *args: Any, reveal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reveal = reveal

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        rows = []
        for change in delta.changes:
            field = self.model._meta.get_field(change.field)
            if isinstance(field, BlindIndexField):
                continue
            formatted = self.format_delta_change(change)
            old, new = formatted.old, formatted.new
            if isinstance(field, EncryptedTextField) and not self.reveal:
                mask = MASKERS.get(field.name, MASKERS["address"])
                old, new = mask(str(change.old or "")), mask(str(change.new or ""))
            rows.append({"field": formatted.field, "old": old, "new": new})
        return rows


class HistoryAdmin(SimpleHistoryAdmin):
    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        return PiiHistoryHelper(self.model, historical_record, reveal=can_view_pii(request.user))


class PiiMaskingMixin:
    """Replaces each field in `pii_fields` with a read-only masked value for viewers without `view_pii`.

    The clear value then never reaches the page, not even as a form field's initial value.
    """

    pii_fields: dict[str, PiiKind] = {}

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if can_view_pii(request.user):
            return fieldsets
        return [(title, {**options, "fields": self._masked(options["fields"])}) for title, options in fieldsets]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200 and can_view_pii(request.user):
            services.audit_record(
                action=AuditEntry.Action.PII_VIEWED, actor=request.user, ip_address=request.META.get("REMOTE_ADDR"),
                subject=f"{self.model._meta.verbose_name} #{object_id}",  # type: ignore[attr-defined]
                detail={"fields": sorted(self.pii_fields), "where": "admin"},
            )
        return response

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not can_view_pii(request.user):
            readonly += [f"masked_{name}" for name in self.pii_fields]
        return readonly

    def _masked(self, fields: Any) -> list[Any]:
        return [
            self._masked(name) if isinstance(name, list | tuple)
            else f"masked_{name}" if name in self.pii_fields else name
            for name in fields
        ]

    def _mask(self, obj: Model | None, name: str) -> str:
        value = getattr(obj, name, "") if obj is not None else ""
        return MASKERS[self.pii_fields[name]](value) if value else ""

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Model | None) -> str:
        return self._mask(obj, "phone")

    @admin.display(description=_("email"))
    def masked_email(self, obj: Model | None) -> str:
        return self._mask(obj, "email")

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Model | None) -> str:
        return self._mask(obj, "id_number")

    @admin.display(description=_("address"))
    def masked_address(self, obj: Model | None) -> str:
        return self._mask(obj, "address")


def _blind_index_matches(request: HttpRequest, term: str, *, prefix: str = "") -> dict[str, str] | None:
    """The filter for an exact phone or e-mail search, or None when it does not apply."""
    term = term.strip()
    if not term or not can_view_pii(request.user):
        return None
    kind = "email" if "@" in term else "phone"
    if kind == "phone" and sum(ch.isdigit() for ch in term) < MIN_PHONE_DIGITS:
        return None
    return {f"{prefix}{kind}_index": blind_index(term, kind=kind)}


class UserCreateForm(AdminUserCreationForm):
    phone = forms.CharField(label=_("phone"), required=False, max_length=PHONE_MAX_CHARS)
    email = forms.EmailField(label=_("email"), required=False)

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "phone", "email")


class UserChangeForm(DjangoUserChangeForm):
    # Encrypted fields are text columns; show them as one-line inputs, and validate the e-mail.
    phone = forms.CharField(label=_("phone"), required=False, max_length=PHONE_MAX_CHARS)
    email = forms.EmailField(label=_("email"), required=False)

    class Meta(DjangoUserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(PiiMaskingMixin, HistoryAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreateForm
    pii_fields = {"phone": "phone", "email": "email"}
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("display_name", "phone", "email", "preferred_language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("username", "usable_password", "password1", "password2", "display_name", "phone", "email"),
        }),
    )
    list_display = ("username", "display_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "display_name")
    ordering = ("username",)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "display_name" in form.changed_data:
            # Tickets are found by their customer's name; their search documents follow a rename.
            events.publish("user.renamed", user_id=obj.pk)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[User], search_term: str) -> Any:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = _blind_index_matches(request, search_term)
        if match:
            results = results | queryset.filter(**match)
        return results, may_have_duplicates


class StoreInline(admin.TabularInline):
    model = Store
    fields = ("name", "code")
    extra = 0
    show_change_link = True


@admin.register(Merchant)
class MerchantAdmin(HistoryAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    inlines = [StoreInline]


class StoreMembershipInline(admin.TabularInline):
    model = StoreMembership
    fields = ("user", "role")
    autocomplete_fields = ("user",)
    extra = 1


class GroupSelectForm(GroupManage):
    """guardian's, with its field labelled in the reader's language (guardian leaves it unlabelled)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].label = _("Group")


@admin.register(Store)
class StoreAdmin(GuardedModelAdmin, HistoryAdmin):  # type: ignore[misc]
    list_display = ("name", "code", "merchant")
    list_select_related = ("merchant",)
    list_filter = ("merchant",)
    search_fields = ("name", "code", "merchant__name")
    inlines = [StoreMembershipInline]

    def get_obj_perms_group_select_form(self, request: HttpRequest) -> type[forms.Form]:
        return GroupSelectForm

    def save_formset(self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool) -> None:
        if formset.model is not StoreMembership:
            super().save_formset(request, form, formset, change)
            return
        # Membership goes through the services, which also grant or revoke the store's object
        # permission; saving the rows directly would give staff a store they cannot open.
        store = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for deleted in formset.deleted_forms:
            if deleted.instance.pk:
                services.store_remove_staff(store=store, user=deleted.instance.user)
                formset.deleted_objects.append(deleted.instance)
        for member_form in formset.forms:
            if member_form in formset.deleted_forms or not member_form.has_changed():
                continue
            previous_user_id = member_form.initial.get("user")
            if member_form.instance.pk and previous_user_id and previous_user_id != member_form.instance.user_id:
                services.store_remove_staff(store=store, user=User.objects.get(pk=previous_user_id))
            membership = services.store_add_staff(
                store=store, user=member_form.cleaned_data["user"], role=member_form.cleaned_data["role"]
            )
            if member_form.instance.pk:
                formset.changed_objects.append((membership, member_form.changed_data))
            else:
                formset.new_objects.append(membership)


@admin.register(Skill)
class SkillAdmin(HistoryAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Team)
class TeamAdmin(HistoryAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)


@admin.register(AgentProfile)
class AgentProfileAdmin(HistoryAdmin):
    list_display = ("user", "team_names", "capacity", "presence", "last_seen_at")
    list_select_related = ("user",)
    list_filter = ("presence", "teams", "skills")
    search_fields = ("user__username", "user__display_name")
    autocomplete_fields = ("user",)
    filter_horizontal = ("skills", "teams")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentProfile]:
        return super().get_queryset(request).prefetch_related("teams")

    def save_model(self, request: HttpRequest, obj: AgentProfile, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            services.agent_capacity_changed(profile=obj, previous=form.initial["capacity"])

    @admin.display(description=_("teams"))
    def team_names(self, obj: AgentProfile) -> str:
        return "、".join(team.name for team in obj.teams.all())


@admin.register(CustomerProfile)
class CustomerProfileAdmin(PiiMaskingMixin, HistoryAdmin):
    pii_fields = {"id_number": "id_number", "address": "address"}
    fields = ("user", "external_id", "vip_level", "segment", "segment_updated_at", "tags", "rule_tags",
              "marketing_consent", "marketing_consent_at", "marketing_consent_source", "merged_into", "id_number",
              "address")
    # Rule tags come from the nightly run, consent only from the customer, merges from the desk's merge.
    readonly_fields = ("segment", "segment_updated_at", "rule_tags", "marketing_consent", "marketing_consent_at",
                       "marketing_consent_source", "merged_into")
    list_display = ("user", "external_id", "vip_level", "segment", "tag_list", "created_at")
    list_select_related = ("user",)
    list_filter = ("vip_level", "segment")
    search_fields = ("external_id", "user__username", "user__display_name")
    autocomplete_fields = ("user",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CustomerProfile], search_term: str
    ) -> Any:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = _blind_index_matches(request, search_term, prefix="user__")
        if match:
            results = results | queryset.filter(**match)
        return results, may_have_duplicates

    @admin.display(description=_("tags"))
    def tag_list(self, obj: CustomerProfile) -> str:
        return "、".join(obj.tags)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the log is evidence, so nobody edits or deletes it from the admin."""

    list_display = ["created_at", "action", "username", "subject", "ip_address"]
    list_filter = ["action", "created_at"]
    search_fields = ["username", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    deletable = False


@admin.register(SegmentPolicy)
class SegmentPolicyAdmin(HistoryAdmin):
    """The thresholds of the nightly RFM segmentation (the first row is used)."""

    list_display = ("__str__", "new_within_days", "active_within_days", "window_days", "high_value_min_spend_fen",
                    "high_value_min_orders")


class TagRuleForm(forms.ModelForm):
    class Meta:
        model = TagRule
        fields = ["tag", "kind", "threshold", "value", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The kinds are whatever the apps registered (core.customer_tags), so a choice
        # list is built per form rather than frozen into a migration.
        self.fields["kind"] = forms.ChoiceField(
            label=_("rule"), choices=[(code, kind.label) for code, kind in sorted(customer_tags.kinds().items())])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = customer_tags.kinds().get(data.get("kind", ""))
        if kind is not None and kind.uses_value and not data.get("value"):
            self.add_error("value", _("This rule compares to a value: fill it in (e.g. high_value)."))
        return data


@admin.register(TagRule)
class TagRuleAdmin(HistoryAdmin):
    form = TagRuleForm
    list_display = ("tag", "kind", "threshold", "value", "active")
    list_filter = ("active", "kind")


# django_otp titles its form's sections with plain strings.
TOTP_SECTIONS = {"Identity": _("Identity"), "Timestamps": _("Timestamps"), "Configuration": _("Configuration"),
                 "State": _("State"), "Throttling": _("Throttling")}


class TOTPDeviceAdmin(otp_totp_admin.TOTPDeviceAdmin):
    """django_otp's, with its search help, section titles and QR code link in the reader's language: django_otp
    builds the search help once at import, from the user fields' names in whatever language is active then,
    and leaves the others untranslated. (The model's own labels: core.third_party_apps.)"""

    search_help_text = _("Search by the user's username or e-mail")

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return [(TOTP_SECTIONS.get(title, title), options) for title, options in super().get_fieldsets(request, obj)]

    @admin.display(description=_("QR code"))
    def qrcode_link(self, device: TOTPDevice) -> str:
        href = reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": device.pk})
        return format_html('<a href="{}">{}</a>', href, _("Show QR code"))


admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
