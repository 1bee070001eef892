"""Every domain model keeps its history (DESIGN.md: every state change lands in django-simple-history)."""

import re
from collections.abc import Callable

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from simple_history.models import HistoricalChanges
from simple_history.models import registered_models as models_with_history

from profiles.models import Team, User

DOMAIN_APPS = ["profiles", "tickets", "chat", "aftersales", "knowledge", "quality", "reports"]

# label -> why it has no history. Keep each reason honest: a model only belongs here when its rows
# are derived, append-only or pure bookkeeping, so a history table would copy it for nothing.
EXEMPT: dict[str, str] = {
    "profiles.PresenceTab": "a heartbeat row per open desk tab, rewritten every 30 s; status changes carry history",
    "tickets.AutomationRun": "append-only: one row per rule firing on a ticket in a window, never edited",
    "tickets.TriggerRun": "append-only: one row per trigger firing on one event, never edited",
    "tickets.BulkJob": "a job's progress counter; each ticket it changes carries the history",
    "tickets.SavedView": "a desk user's saved filter, a personal preference rather than business data",
    "tickets.TicketMessage": "append-only: a reply or note is never edited (a merge moves rows with one UPDATE "
                             "and records it as a note and in both tickets' history); history doubled every body",
    "tickets.TicketAttachment": "an immutable upload; the message it belongs to is the record",
    "tickets.SideAttachment": "an immutable upload on a side message; the side message carries the history",
    "tickets.TicketCounter": "a number allocator bumped on every ticket; the tickets carry the history",
    "aftersales.RequestNumberCounter": "a number allocator bumped on every request; the requests carry the history",
    "tickets.WeChatEvent": "append-only: an event WeChat sent (follow, menu click, scan), recorded once, never edited",
    "tickets.TicketSearch": "derived search text, rebuilt from the ticket and its messages, which carry the history",
    "tickets.SlaEvent": "append-only: records that a warning or breach was announced, never edited",
    "tickets.Notification": "a per-user inbox item; only its read flag changes, which is not an audit fact",
    "chat.Attachment": "an immutable upload; the message that references it carries the history",
    "chat.ReadReceipt": "a read pointer moved on every message read; the messages are the record",
    "aftersales.RequestEvent": "append-only: this is the request's own timeline, written once per step",
    "aftersales.Evidence": "an immutable re-encoded photo; never edited after upload",
    "knowledge.ArticleVersion": "append-only: a snapshot per article save, itself the article's version history",
    "profiles.AuditEntry": "append-only: the audit log itself, which the admin can neither edit nor delete",
    "knowledge.KnowledgeEvent": "append-only: one bot answer, search or article view, written once, never edited",
    "knowledge.ArticleFeedback": "append-only: one reader's helpful vote, written once and never edited",
    "profiles.ChannelIdentity": "written once when a channel id is first seen; only a merge moves it, and the "
                                "merge's audit entry records that",
    "tickets.InboundMessage": "append-only: the record that a provider message was received, written once",
    "tickets.OutboundMessage": "a delivery attempt counter for one reply; the reply carries the history",
    "tickets.CallRecord": "the phone system's report of a call; each change is written as a note on its ticket",
    "tickets.EmailMessage": "the stored mail itself, raw bytes kept; only its delivery state moves",
    "reports.TicketDaily": "a rollup row, rewritten whole from the tickets each night",
    "reports.ChatDaily": "a rollup row, rewritten whole from the chats each night",
    "reports.AgentActivityDaily": "a rollup row, rewritten whole from the messages each night",
    "reports.AfterSalesDaily": "a rollup row, rewritten whole from the requests each night",
    "reports.RollupRun": "a marker that a day was rolled up, replaced on each re-run",
    "reports.ExportJob": "a background job's progress; the export itself is in the audit log",
}


def _domain_models() -> list[type[models.Model]]:
    found = []
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            # Historical models are the history; auto-created M2M tables are not listed by get_models().
            if issubclass(model, HistoricalChanges) or model._meta.proxy or model._meta.abstract:
                continue
            found.append(model)
    return found


def test_every_domain_model_has_history() -> None:
    missing = [
        model._meta.label for model in _domain_models()
        if model._meta.label not in EXEMPT and model._meta.db_table not in models_with_history
    ]
    assert not missing, f"add `history = HistoricalRecords()` (or an EXEMPT reason) to: {missing}"
    for model in _domain_models():
        if model._meta.label not in EXEMPT:
            assert hasattr(model, "history"), model._meta.label


def test_exemptions_name_real_models_without_history() -> None:
    labels = {model._meta.label for model in _domain_models()}
    for label, reason in EXEMPT.items():
        assert label in labels, f"stale exemption {label}"
        assert reason.strip()
        assert apps.get_model(label)._meta.db_table not in models_with_history, f"{label} has history now"


def test_walk_sees_the_profiles_models() -> None:
    labels = {model._meta.label for model in _domain_models()}
    assert {"profiles.User", "profiles.Store", "profiles.CustomerProfile", "profiles.AgentProfile"} <= labels
    assert not any(label.startswith("profiles.Historical") for label in labels)


@pytest.mark.django_db
def test_change_through_a_request_records_who_made_it(make_user: Callable[..., User]) -> None:
    admin = make_user("admin")
    team = Team.objects.create(name="售后一组")
    client = Client()
    client.force_login(admin)
    response = client.post(f"/admin/profiles/team/{team.pk}/change/", {"name": "售后二组", "description": "退换货"})
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = team.history.latest()
    assert (latest.history_type, latest.name, latest.history_user) == ("~", "售后二组", admin)
    assert team.history.earliest().history_user is None  # created outside any request


@pytest.mark.django_db
def test_user_history_leaves_out_the_password_hash(make_user: Callable[..., User]) -> None:
    user = make_user("agent")
    user.set_password("another-pass-123")
    user.save()
    history_fields = {field.name for field in User.history.model._meta.fields}
    assert "password" not in history_fields
    assert {"phone", "email", "display_name"} <= history_fields


@pytest.mark.django_db
def test_the_history_page_names_each_change_in_the_readers_language(make_user: Callable[..., User]) -> None:
    admin = make_user("admin")
    team = Team.objects.create(name="售后一组")  # created outside a request: no user, no reason
    client = Client()
    client.force_login(admin)
    client.post(f"/admin/profiles/team/{team.pk}/change/", {"name": "售后二组", "description": ""})
    for language, created, changed in (("zh-hans", "已创建", "已修改"), ("en", "Created", "Changed")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(f"/admin/profiles/team/{team.pk}/history/").content.decode()
        table = page[page.index('id="change-history"'):]
        cells = [cell.strip() for cell in re.findall(r"<td>\s*([^<]*?)\s*</td>", table)]
        assert created in cells and changed in cells, cells
        assert "—" in cells  # the rows without a change reason show a dash, not "None"
        assert language == "en" or "None" not in cells
        assert "创建时间" not in table  # the column header's word for "creation time" is not the change type


def test_every_history_manager_class_is_built_once() -> None:
    """core.history: `Model.history` is read for every history row saved, and building its class each time cost
    94 µs. A model declared with simple_history's own HistoricalRecords fails here."""
    for model in _domain_models():
        if model._meta.label not in EXEMPT:
            history = model.__dict__["history"]  # the descriptor; each read of it builds the manager
            assert type(history.__get__(None, model)) is type(history.__get__(None, model)), model._meta.label
