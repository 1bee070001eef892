"""The permission matrix: every URL pattern and API route, for every role, on their own object and on someone else's.

`ROUTES` names each route of the URL configuration (admin collapsed to one entry) with what each role
gets. `test_every_route_is_in_the_matrix` enumerates the URL configuration and fails when a route is
added without a row here, so a new page cannot ship without deciding who may open it.

Outcomes: "ok" (served or processed, including a form error, a redirect elsewhere or a 409), "login"
(sent to sign in; 401/403 for the API), "403" (signed in but not allowed), "404" (hidden: the object
is someone else's), "405" (the method is not offered).
"""

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from aftersales.models import AfterSalesRequest
from aftersales.services import setup as aftersales_setup
from chat import services as chat_services
from chat.embed import token_for as embed_token_for
from chat.models import Attachment, Conversation
from chat.services.tickets import leave_message
from core import quarantine
from knowledge import images as knowledge_images
from knowledge import services as knowledge_services
from knowledge.models import Article, ReviewTask
from profiles import services as profile_services
from profiles.models import Store, Team, User
from profiles.roles import Role
from quality import services
from quality.models import Scorecard
from reports.models import ExportJob, SavedReport
from tests.aftersales.factories import apply, make_order, photo
from tests.chat.factories import chat_with_agent
from tests.factories import AgentProfileFactory, CustomerProfileFactory, StoreFactory, TeamFactory, UserFactory
from tests.knowledge.factories import ArticleFactory
from tests.quality.factories import finished_ticket, make_scorecard, queued_review
from tickets import services as ticket_services
from tickets.models import BulkJob, Macro, MacroAction, Notification, Ticket, TicketAttachment
from tickets.services.surveys import survey_create, survey_token

ROLES = ["anonymous", "customer", "agent", "supervisor", "qa", "merchant_staff", "admin", "integrator"]
Expect = dict[str, str]


def expect(default: str, **roles: str) -> Expect:
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {role: roles.get(role, default) for role in ROLES}


EVERYONE = expect("ok")
SIGNED_IN = expect("ok", anonymous="login")
DESK = expect("403", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok")
# Pages only the customer who owns the object opens; staff work on it from the desk instead.
OWNER = expect("404", anonymous="login", customer="ok")
CUSTOMERS = expect("403", anonymous="login", customer="ok")
MERCHANT = expect("403", anonymous="login", merchant_staff="ok", admin="ok")
REPORTS = expect("403", anonymous="login", supervisor="ok", qa="ok", admin="ok")
ADMIN_SITE = expect("login", supervisor="ok", qa="ok", admin="ok")
EDITORS = expect("403", anonymous="login", supervisor="ok", admin="ok")
API_SIGNED_IN = expect("ok", anonymous="login")
API_INTEGRATOR = expect("403", anonymous="login", integrator="ok", admin="ok")


@dataclass
class World:
    users: dict[str, User]
    other_customer: User
    team: Team
    other_team: Team
    store: Store
    other_store: Store
    ticket: Ticket
    other_ticket: Ticket
    ticket_attachment: TicketAttachment
    other_ticket_attachment: TicketAttachment
    conversation: Conversation
    other_conversation: Conversation
    agent_conversation: Conversation
    left_message: Ticket
    other_left_message: Ticket
    chat_attachment: Attachment
    other_chat_attachment: Attachment
    request: AfterSalesRequest
    other_request: AfterSalesRequest
    survey_token: str
    public_article: Article
    internal_article: Article
    macro: Macro
    bulk_job: BulkJob
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        if role not in self.clients:
            client = Client()
            if role != "anonymous":
                client.force_login(self.users[role])
            self.clients[role] = client
        return self.clients[role]


def _png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _shared_macro() -> Macro:
    macro = Macro.objects.create(title="记录")
    MacroAction.objects.create(macro=macro, kind=MacroAction.Kind.NOTE, text="已查看")
    return macro


@pytest.fixture
def world(db: None, settings: Any, tmp_path: Any) -> World:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path / "tickets")
    settings.CHAT_MEDIA_ROOT = str(tmp_path / "chat")
    settings.REPORTS_EXPORT_ROOT = str(tmp_path / "exports")
    aftersales_setup.reference_data_ensure()
    team, other_team = TeamFactory.create(), TeamFactory.create()
    store, other_store = StoreFactory.create(), StoreFactory.create()
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    other_customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    agent = AgentProfileFactory.create(user__roles=(Role.AGENT,)).user
    agent.agent_profile.teams.add(team)
    merchant_staff = UserFactory.create(roles=(Role.MERCHANT_STAFF,))
    profile_services.store_add_staff(store=store, user=merchant_staff)
    users = {
        "customer": customer,
        "agent": agent,
        "supervisor": UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True),
        "qa": UserFactory.create(roles=(Role.QA,), is_staff=True),
        "merchant_staff": merchant_staff,
        "admin": UserFactory.create(roles=(Role.ADMIN,), is_superuser=True),
        "integrator": UserFactory.create(roles=(Role.INTEGRATOR,)),
    }
    ticket = ticket_services.ticket_create(customer=customer, subject="快递没到", body="三天没更新", team=team,
                                           uploads=[_png()])
    other_ticket = ticket_services.ticket_create(customer=other_customer, subject="发票", body="开发票",
                                                 team=other_team, uploads=[_png()])
    survey, _ = survey_create(ticket=ticket)
    conversation = chat_services.conversation_start(customer=customer)[0]
    other_conversation = chat_services.conversation_start(customer=other_customer)[0]
    # A third customer's chat, taken by the agent: the desk's "own" conversation.
    agent_conversation = chat_with_agent(CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user, agent)
    left_message = leave_message(customer=customer, description="晚上留言", priority="normal", contact="phone")
    other_left_message = leave_message(customer=other_customer, description="留言", priority="normal",
                                       contact="phone")
    request = apply(make_order(customer=customer, store=store), reason="quality",
                    images=[photo()])
    other_request = apply(make_order(customer=other_customer, store=other_store),
                          reason="quality", images=[photo()])
    return World(
        users=users, other_customer=other_customer, team=team, other_team=other_team, store=store,
        other_store=other_store, ticket=ticket, other_ticket=other_ticket,
        ticket_attachment=TicketAttachment.objects.get(message__ticket=ticket),
        other_ticket_attachment=TicketAttachment.objects.get(message__ticket=other_ticket),
        conversation=conversation, other_conversation=other_conversation, agent_conversation=agent_conversation,
        left_message=left_message.ticket, other_left_message=other_left_message.ticket,
        chat_attachment=chat_services.attachment_upload(conversation_id=conversation.pk, user=customer,
                                                        kind="image", upload=_png()),
        other_chat_attachment=chat_services.attachment_upload(conversation_id=other_conversation.pk,
                                                              user=other_customer, kind="image", upload=_png()),
        request=request, other_request=other_request, survey_token=survey_token(survey),
        macro=_shared_macro(),
        bulk_job=BulkJob.objects.create(actor=agent, action=BulkJob.Action.TAG, params={"tag": "x"},
                                        ticket_ids=[ticket.pk]),
        public_article=ArticleFactory.create(slug="public-guide"),
        internal_article=ArticleFactory.create(slug="internal-guide", audience=Article.Audience.INTERNAL),
    )


@dataclass(frozen=True)
class Route:
    """How to probe one route: the method, the address of the role's own object and what each role
    gets; optionally the address of someone else's object and what each role gets there."""

    method: str
    url: Callable[[World], str]
    own: Expect
    other_url: Callable[[World], str] | None = None
    other: Expect | None = None
    # Valid input where it matters, so a refusal is the permission and not a form error.
    data: Callable[[World], dict[str, Any]] = lambda world: {}


def fixed(path: str) -> Callable[[World], str]:
    return lambda world: path


def _article_image_url(article: Article) -> str:
    image = article.images.first() or knowledge_services.article_image_add(
        article=article, image=knowledge_images.clean_upload(_png()), uploaded_by=None)
    return image.get_absolute_url()


def _export_url(world: World, suffix: str = "") -> str:
    """A finished export of the supervisor's: theirs to open, anyone else's 404."""
    job = ExportJob.objects.filter(owner=world.users["supervisor"]).first()
    if job is None:
        job = ExportJob.objects.create(owner=world.users["supervisor"], dataset="tickets", file_format="csv",
                                       date_from=date(2026, 1, 1), date_to=date(2026, 1, 1), status="done")
        job.file.save("matrix.csv", ContentFile(b"number\n"))
    return f"/reports/exports/{job.pk}/{suffix}"


def _saved_report_url(world: World) -> str:
    """The supervisor's own (unshared) saved report: someone else's for everyone else."""
    report = SavedReport.objects.filter(owner=world.users["supervisor"]).first() or SavedReport.objects.create(
        owner=world.users["supervisor"], name="matrix", spec={"source": "tickets", "dimension": "date",
                                                               "measures": ["created"], "grain": "day"})
    return f"/reports/builder/{report.pk}/"


def _review_task_done_url(world: World) -> str:
    task, _ = ReviewTask.objects.get_or_create(article=world.public_article, reason=ReviewTask.Reason.EXPIRED)
    return f"/help/editor/tasks/{task.pk}/done/"


def _qa_review_id(world: World, *, agent: User | None = None) -> int:
    """A scored QA review of a ticket `agent` (default: the world's agent) handled."""
    agent = agent or world.users["agent"]
    scorecard = Scorecard.objects.filter(name="matrix").first() or make_scorecard((1, 5, False), name="matrix")
    review = queued_review(scorecard, finished_ticket(world.other_customer, agent))
    services.review_score(review_id=review.pk, reviewer=world.users["qa"],
                          points={criterion.pk: 3 for criterion in scorecard.criteria.all()}, comment="")
    return review.pk


def _quarantined_url(world: World, suffix: str) -> str:
    """A held mail (always unreadable: a retry answers with the reason, still a redirect)."""
    held = quarantine.quarantine(channel="email", raw=b"From: (((", reason="RecursionError", key="matrix")
    return f"/desk/quarantine/{held.message.pk}/{suffix}"


def _another_agent() -> User:
    return AgentProfileFactory.create().user


def _notification_read_url(world: World, role: str) -> str:
    """A notification of the `role` user's own (only its recipient may mark it read)."""
    notification = Notification.objects.create(recipient=world.users[role], kind=Notification.Kind.MENTION,
                                               ticket=world.ticket, text="@agent 请看一下")
    return f"/desk/notifications/{notification.pk}/read/"


def _embed_url(world: World) -> str:
    token = embed_token_for(external_id=world.users["customer"].customer_profile.external_id or "")
    return f"/help/chat/embed/?token={token}"


# Who may take each ticket action beyond reading (customers nudge; the desk assigns, escalates, moves).
_TICKET_ACTION_ONLY: dict[str, Expect] = {
    "assign/": {"customer": "403"},
    "escalate/": {"customer": "403"},
    "transition/": {"customer": "403"},
    "nudge/": {"agent": "403", "supervisor": "403", "qa": "403", "admin": "403"},
}
_TICKET_ACTION_DATA: dict[str, Callable[[World], dict[str, Any]]] = {
    "assign/": lambda w: {"assignee": w.users["agent"].pk},
    "transition/": lambda w: {"status": "open"},
    "messages/": lambda w: {"body": "您好"},
    "escalate/": lambda w: {"note": "客户很着急"},
}


ROUTES: dict[str, Route] = {
    "": Route("GET", fixed("/"), expect("ok")),
    "favicon.ico": Route("GET", fixed("/favicon.ico"), EVERYONE),
    "healthz": Route("GET", fixed("/healthz"), EVERYONE),
    # Scrapers only, by bearer token or allowed address (tests/pages/test_ops_endpoints.py): no role opens it.
    "metrics": Route("GET", fixed("/metrics"), expect("403")),
    "i18n/setlang/": Route("POST", fixed("/i18n/setlang/"), EVERYONE, data=lambda w: {"language": "en"}),
    "accounts/login/": Route("GET", fixed("/accounts/login/"), EVERYONE),
    "accounts/2fa/": Route("GET", fixed("/accounts/2fa/"), SIGNED_IN),
    # Signing out lands everyone on the sign-in page.
    "accounts/preferences/": Route("GET", fixed("/accounts/preferences/"), CUSTOMERS),
    "accounts/logout/": Route("POST", fixed("/accounts/logout/"), expect("login")),
    "accounts/password/": Route("GET", fixed("/accounts/password/"), SIGNED_IN),
    "accounts/password/done/": Route("GET", fixed("/accounts/password/done/"), SIGNED_IN),
    # Help center and customer pages.
    "help/": Route("GET", fixed("/help/"), EVERYONE),
    "help/search/": Route("GET", fixed("/help/search/?q=退款"), EVERYONE),
    "help/suggest/": Route("GET", fixed("/help/suggest/?q=退款"), EVERYONE),
    "help/categories/<slug:slug>/": Route("GET", lambda w: f"/help/categories/{w.public_article.category.slug}/",
                                          EVERYONE),
    "help/articles/<slug:slug>/": Route(
        "GET", lambda w: "/help/articles/public-guide/", EVERYONE,
        other_url=lambda w: "/help/articles/internal-guide/",
        other=expect("404", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    "help/articles/<slug:slug>/feedback/": Route("POST", lambda w: "/help/articles/public-guide/feedback/",
                                                 EVERYONE, data=lambda w: {"helpful": "yes"}),
    # An htmx call from the editor page: no sign-in redirect, a plain refusal.
    "help/preview/": Route("POST", fixed("/help/preview/"), {**EDITORS, "anonymous": "403"},
                           data=lambda w: {"body": "**x**"}),
    "help/editor/": Route("GET", fixed("/help/editor/"), EDITORS),
    "help/editor/new/": Route("GET", fixed("/help/editor/new/"), EDITORS),
    "help/editor/<slug:slug>/": Route("GET", fixed("/help/editor/public-guide/"), EDITORS),
    "help/editor/<slug:slug>/transition/": Route("POST", fixed("/help/editor/public-guide/transition/"), EDITORS),
    "help/editor/<slug:slug>/images/": Route("POST", fixed("/help/editor/public-guide/images/"), EDITORS,
                                             data=lambda w: {"image": _png(), "alt": "图"}),
    "help/editor/tasks/<int:pk>/done/": Route("POST", _review_task_done_url, EDITORS),
    # An article image is as visible as its article.
    "help/images/<int:pk>/<str:name>": Route(
        "GET", lambda w: _article_image_url(w.public_article), EVERYONE,
        other_url=lambda w: _article_image_url(w.internal_article),
        other=expect("404", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    # The chat widget is the customers'; staff answer from the desk.
    "help/chat/": Route("GET", fixed("/help/chat/"), CUSTOMERS),
    "help/chat/start/": Route("POST", fixed("/help/chat/start/"), CUSTOMERS),
    # The embed script is public; its iframe page signs in whoever the token names, and refuses forgeries.
    "help/chat/embed.js": Route("GET", fixed("/help/chat/embed.js"), EVERYONE),
    "help/chat/embed/": Route("GET", _embed_url, EVERYONE, other_url=fixed("/help/chat/embed/?token=forged:token"),
                              other=expect("403")),
    "help/chat/message/": Route("POST", fixed("/help/chat/message/"), CUSTOMERS,
                                data=lambda w: {"description": "想咨询退款", "priority": "normal", "contact": "phone"}),
    "help/chat/message/<int:ticket_id>/": Route(
        "GET", lambda w: f"/help/chat/message/{w.left_message.pk}/", CUSTOMERS,
        other_url=lambda w: f"/help/chat/message/{w.other_left_message.pk}/", other={**CUSTOMERS, "customer": "404"}),
    "help/chat/<int:conversation_id>/attachments/": Route(
        "POST", lambda w: f"/help/chat/{w.conversation.pk}/attachments/", OWNER,
        other_url=lambda w: f"/help/chat/{w.other_conversation.pk}/attachments/",
        other=expect("404", anonymous="login"), data=lambda w: {"kind": "image", "file": _png()}),
    # Supervisors, QA and admins read every conversation, attachments included.
    "help/chat/attachments/<int:attachment_id>/": Route(
        "GET", lambda w: f"/help/chat/attachments/{w.chat_attachment.pk}/",
        {**OWNER, "supervisor": "ok", "qa": "ok", "admin": "ok"},
        other_url=lambda w: f"/help/chat/attachments/{w.other_chat_attachment.pk}/",
        other=expect("404", anonymous="login", supervisor="ok", qa="ok", admin="ok")),
    "help/tickets/": Route("GET", fixed("/help/tickets/"), SIGNED_IN),
    "help/tickets/new/": Route("GET", fixed("/help/tickets/new/"), SIGNED_IN),
    "help/tickets/<int:ticket_id>/": Route(
        "GET", lambda w: f"/help/tickets/{w.ticket.pk}/", OWNER,
        other_url=lambda w: f"/help/tickets/{w.other_ticket.pk}/", other=expect("404", anonymous="login")),
    "help/tickets/<int:ticket_id>/reply/": Route(
        "POST", lambda w: f"/help/tickets/{w.ticket.pk}/reply/", OWNER,
        other_url=lambda w: f"/help/tickets/{w.other_ticket.pk}/reply/", other=expect("404", anonymous="login")),
    "help/tickets/<int:ticket_id>/nudge/": Route(
        "POST", lambda w: f"/help/tickets/{w.ticket.pk}/nudge/", OWNER,
        other_url=lambda w: f"/help/tickets/{w.other_ticket.pk}/nudge/", other=expect("404", anonymous="login")),
    "help/tickets/survey/<str:token>/": Route("GET", lambda w: f"/help/tickets/survey/{w.survey_token}/", EVERYONE,
                                              other_url=fixed("/help/tickets/survey/forged/"),
                                              other=expect("410")),
    # The agent workbench.
    "desk/": Route("GET", fixed("/desk/"), DESK),
    "desk/notifications/": Route("GET", fixed("/desk/notifications/"), DESK),
    "desk/notifications/read-all/": Route("POST", fixed("/desk/notifications/read-all/"), DESK),
    # The agent's own notification; every other desk user gets 404: it is not theirs to mark.
    "desk/notifications/<int:notification_id>/read/": Route(
        "POST", lambda w: _notification_read_url(w, "agent"),
        {**DESK, "supervisor": "404", "qa": "404", "admin": "404"},
        other_url=lambda w: _notification_read_url(w, "supervisor"),
        other={**DESK, "agent": "404", "qa": "404", "admin": "404"}),
    "desk/chats/": Route("GET", fixed("/desk/chats/"), DESK),
    "desk/chats/lists/": Route("GET", fixed("/desk/chats/lists/"), DESK),
    "desk/chats/accept/": Route("POST", fixed("/desk/chats/accept/"), DESK),
    "desk/chats/<int:conversation_id>/accept/": Route("POST", lambda w: f"/desk/chats/{w.conversation.pk}/accept/",
                                                      DESK),
    "desk/chats/<int:conversation_id>/transfer/": Route(
        "POST", lambda w: f"/desk/chats/{w.agent_conversation.pk}/transfer/", DESK),
    # Ending a chat: the agent holding it. Filing it as a ticket: that agent, supervisors and admins.
    "desk/chats/<int:conversation_id>/end/": Route(
        "POST", lambda w: f"/desk/chats/{w.agent_conversation.pk}/end/",
        {**DESK, "supervisor": "404", "qa": "404", "admin": "404"},
        other_url=lambda w: f"/desk/chats/{w.other_conversation.pk}/end/",
        other={**DESK, "agent": "404", "supervisor": "404", "qa": "404", "admin": "404"}),
    "desk/chats/<int:conversation_id>/ticket/": Route(
        "POST", lambda w: f"/desk/chats/{w.agent_conversation.pk}/ticket/", {**DESK, "qa": "404"},
        other_url=lambda w: f"/desk/chats/{w.other_conversation.pk}/ticket/",
        other={**DESK, "agent": "404", "qa": "404"}),
    "desk/customers/<int:customer_id>/": Route("GET", lambda w: f"/desk/customers/{w.users['customer'].pk}/", DESK,
                                               other_url=lambda w: f"/desk/customers/{w.other_customer.pk}/",
                                               other=DESK),
    "desk/customers/<int:customer_id>/tags/": Route(
        "POST", lambda w: f"/desk/customers/{w.users['customer'].pk}/tags/", DESK, data=lambda w: {"tag": "老客户"}),
    # Supervisors and admins merge duplicates; a refusal (here: no such target) is a form error.
    "desk/customers/<int:customer_id>/merge/": Route(
        "POST", lambda w: f"/desk/customers/{w.users['customer'].pk}/merge/",
        expect("403", anonymous="login", supervisor="ok", admin="ok"),
        data=lambda w: {"target": "nobody-such", "confirm": "on"}),
    # Supervisors (and admins) look after what intake could not store.
    "desk/quarantine/": Route("GET", fixed("/desk/quarantine/"), EDITORS),
    "desk/quarantine/<int:message_id>/retry/": Route("POST", lambda w: _quarantined_url(w, "retry/"), EDITORS),
    "desk/quarantine/<int:message_id>/discard/": Route("POST", lambda w: _quarantined_url(w, "discard/"), EDITORS,
                                                       data=lambda w: {"reason": "spam"}),
    "desk/tickets/": Route("GET", fixed("/desk/tickets/"), DESK),
    "desk/tickets/new/": Route("GET", fixed("/desk/tickets/new/"), DESK),
    # Which tickets each desk role finds (never another team's) is asserted in tests/tickets/test_search.py.
    "desk/tickets/search/": Route("GET", fixed("/desk/tickets/search/?q=%E9%80%80%E6%AC%BE"), DESK),
    "desk/tickets/next/": Route("POST", fixed("/desk/tickets/next/"), DESK),
    "desk/tickets/lookup/<str:kind>/": Route("GET", fixed("/desk/tickets/lookup/agent/?q=a"), DESK),
    # An empty saved-view form is refused with a message (302 back to the queue) for the desk.
    "desk/tickets/views/": Route("POST", fixed("/desk/tickets/views/"), DESK),
    # A view that is not theirs: refused with a message and sent back to the queue (302) for the desk.
    "desk/tickets/views/<int:view_id>/<str:change>/": Route("POST", fixed("/desk/tickets/views/999999/up/"), DESK),
    # An empty bulk form: refused with a message and sent back to the queue (302) for the desk.
    "desk/tickets/bulk/": Route("POST", fixed("/desk/tickets/bulk/"), DESK),
    # Another agent's job is hidden (404); supervisors, QA and admins see every job.
    "desk/tickets/bulk/<int:job_id>/": Route(
        "GET", lambda w: f"/desk/tickets/bulk/{w.bulk_job.pk}/",
        expect("403", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    # The customer downloads their own files here too; anyone else without access finds nothing.
    # A call that does not exist: the desk may look (404), nobody else gets that far; own and other calls
    # are probed in tests/channels/test_calls.py.
    "desk/tickets/calls/<int:call_id>/recording/": Route("GET", fixed("/desk/tickets/calls/999999/recording/"),
                                                         expect("403", anonymous="login", agent="404",
                                                                supervisor="404", qa="404", admin="404")),
    "desk/tickets/attachments/<int:attachment_id>/": Route(
        "GET", lambda w: f"/desk/tickets/attachments/{w.ticket_attachment.pk}/",
        expect("404", anonymous="login", customer="ok", agent="ok", supervisor="ok", qa="ok", admin="ok"),
        other_url=lambda w: f"/desk/tickets/attachments/{w.other_ticket_attachment.pk}/",
        other=expect("404", anonymous="login", supervisor="ok", qa="ok", admin="ok")),
    **{
        f"desk/tickets/<int:ticket_id>/{action}": Route(
            "GET" if action == "" else "POST", (lambda a: lambda w: f"/desk/tickets/{w.ticket.pk}/{a}")(action),
            DESK,
            other_url=(lambda a: lambda w: f"/desk/tickets/{w.other_ticket.pk}/{a}")(action),
            # Another team's ticket: the page is a read-only summary of where it is; every action is refused.
            other=expect("403", anonymous="login", agent="ok" if action == "" else "404", supervisor="ok", qa="ok",
                         admin="ok"))
        for action in ("", "reply/", "pick/", "assign/", "transfer/", "escalate/", "status/", "merge/", "subticket/",
                       "macros/apply/")
    },
    "desk/tickets/<int:ticket_id>/macros/preview/": Route(
        "GET", lambda w: f"/desk/tickets/{w.ticket.pk}/macros/preview/?macro={w.macro.pk}", DESK,
        other_url=lambda w: f"/desk/tickets/{w.other_ticket.pk}/macros/preview/?macro={w.macro.pk}",
        other=expect("403", anonymous="login", agent="404", supervisor="ok", qa="ok", admin="ok")),
    # Side conversations (tests/tickets/test_side_conversations.py): the desk's, on tickets it may work; an
    # empty form is a 400 with field errors ("ok"); a conversation that does not exist is hidden.
    **{
        f"desk/tickets/<int:ticket_id>/{action}": Route(
            "GET" if action == "side/" else "POST", (lambda a: lambda w: f"/desk/tickets/{w.ticket.pk}/{a}")(action),
            DESK, other_url=(lambda a: lambda w: f"/desk/tickets/{w.other_ticket.pk}/{a}")(action),
            other=expect("403", anonymous="login", agent="404", supervisor="ok", qa="ok", admin="ok"))
        for action in ("side/", "side/new/")
    },
    **{
        f"desk/tickets/<int:ticket_id>/side/<int:conversation_id>/{action}": Route(
            "POST", (lambda a: lambda w: f"/desk/tickets/{w.ticket.pk}/side/999999/{a}")(action),
            expect("403", anonymous="login", agent="404", supervisor="404", qa="404", admin="404"))
        for action in ("reply/", "close/", "reopen/")
    },
    "desk/tickets/side/attachments/<int:attachment_id>/": Route(
        "GET", fixed("/desk/tickets/side/attachments/999999/"),
        expect("403", anonymous="login", agent="404", supervisor="404", qa="404", admin="404")),
    # After-sales: customers, merchants, arbitration.
    "aftersales/": Route("GET", fixed("/aftersales/"), SIGNED_IN),
    "aftersales/orders/<int:order_id>/": Route(
        "GET", lambda w: f"/aftersales/orders/{w.request.order_id}/", OWNER,
        other_url=lambda w: f"/aftersales/orders/{w.other_request.order_id}/", other=expect("404", anonymous="login")),
    "aftersales/items/<int:item_id>/apply/": Route(
        "GET", lambda w: f"/aftersales/items/{w.request.item_id}/apply/", OWNER,
        other_url=lambda w: f"/aftersales/items/{w.other_request.item_id}/apply/",
        other=expect("404", anonymous="login")),
    **{
        f"aftersales/requests/<str:number>/{action}": Route(
            "GET" if action == "" else "POST",
            (lambda a: lambda w: f"/aftersales/requests/{w.request.number}/{a}")(action), OWNER,
            other_url=(lambda a: lambda w: f"/aftersales/requests/{w.other_request.number}/{a}")(action),
            other=expect("404", anonymous="login"))
        for action in ("", "action/", "messages/", "evaluation/")
    },
    "aftersales/evidence/<int:evidence_id>/": Route(
        "GET", lambda w: f"/aftersales/evidence/{w.request.evidence.first().pk}/",  # type: ignore[union-attr]
        expect("404", anonymous="login", customer="ok", agent="ok", supervisor="ok", qa="ok", admin="ok",
               merchant_staff="ok"),
        other_url=lambda w: f"/aftersales/evidence/{w.other_request.evidence.first().pk}/",  # type: ignore[union-attr]
        other=expect("404", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    "aftersales/arbitration/": Route("GET", fixed("/aftersales/arbitration/"), DESK),
    "aftersales/arbitration/<str:number>/": Route("GET", lambda w: f"/aftersales/arbitration/{w.request.number}/",
                                                  DESK),
    "aftersales/arbitration/<str:number>/action/": Route(
        "POST", lambda w: f"/aftersales/arbitration/{w.request.number}/action/", DESK),
    "merchant/": Route("GET", fixed("/merchant/"), MERCHANT),
    "merchant/stores/<int:store_id>/": Route(
        "GET", lambda w: f"/merchant/stores/{w.store.pk}/", MERCHANT,
        other_url=lambda w: f"/merchant/stores/{w.other_store.pk}/", other=expect("403", anonymous="login",
                                                                                  merchant_staff="404", admin="ok")),
    "merchant/requests/<str:number>/": Route(
        "GET", lambda w: f"/merchant/requests/{w.request.number}/", MERCHANT,
        other_url=lambda w: f"/merchant/requests/{w.other_request.number}/",
        other=expect("403", anonymous="login", merchant_staff="404", admin="ok")),
    "merchant/requests/<str:number>/action/": Route(
        "POST", lambda w: f"/merchant/requests/{w.request.number}/action/", MERCHANT,
        other_url=lambda w: f"/merchant/requests/{w.other_request.number}/action/",
        other=expect("403", anonymous="login", merchant_staff="404", admin="ok")),
    "reports/": Route("GET", fixed("/reports/"), REPORTS),
    "reports/live/": Route("GET", fixed("/reports/live/"), REPORTS),
    "reports/agents/": Route("GET", fixed("/reports/agents/"), REPORTS),
    "reports/trends/": Route("GET", fixed("/reports/trends/"), REPORTS),
    "reports/after-sales/": Route("GET", fixed("/reports/after-sales/"), REPORTS),
    "reports/builder/": Route("GET", fixed("/reports/builder/"), REPORTS),
    "reports/builder/<int:report_id>/": Route("GET", _saved_report_url,
                                              expect("403", anonymous="login", supervisor="ok", qa="404",
                                                     admin="404")),
    "reports/exports/": Route("GET", fixed("/reports/exports/"), REPORTS),
    "reports/knowledge/": Route("GET", fixed("/reports/knowledge/"), REPORTS),
    "reports/knowledge/export.csv": Route("GET", fixed("/reports/knowledge/export.csv"), REPORTS),
    # QA reads the analytics but drafting an FAQ writes an article: editors only.
    "reports/knowledge/draft/": Route("POST", fixed("/reports/knowledge/draft/"), EDITORS),
    **{
        f"reports/exports/<int:job_id>/{suffix}": Route(
            "GET", (lambda s: lambda w: _export_url(w, s))(suffix),
            expect("403", anonymous="login", supervisor="ok", qa="404", admin="404"))
        for suffix in ("", "download/")
    },
    "reports/quality/": Route("GET", fixed("/reports/quality/"), REPORTS),
    "reports/quality/sample/": Route("POST", fixed("/reports/quality/sample/"), REPORTS),
    "reports/quality/reviews/<int:review_id>/": Route(
        "GET", lambda w: f"/reports/quality/reviews/{_qa_review_id(w)}/", REPORTS),
    "reports/quality/reviews/<int:review_id>/resolve/": Route(
        "POST", lambda w: f"/reports/quality/reviews/{_qa_review_id(w)}/resolve/", REPORTS),
    "reports/quality/mine/": Route("GET", fixed("/reports/quality/mine/"), DESK),
    # Only the agent scored appeals; a review of someone else is hidden, from QA and supervisors too.
    "reports/quality/mine/<int:review_id>/appeal/": Route(
        "POST", lambda w: f"/reports/quality/mine/{_qa_review_id(w)}/appeal/",
        {**DESK, "supervisor": "404", "qa": "404", "admin": "404"},
        other_url=lambda w: f"/reports/quality/mine/{_qa_review_id(w, agent=_another_agent())}/appeal/",
        other={**DESK, "agent": "404", "supervisor": "404", "qa": "404", "admin": "404"},
        data=lambda w: {"reason": "分数不对"}),
    "admin/": Route("GET", fixed("/admin/"), ADMIN_SITE),
    # The API and its documentation.
    "api/schema/": Route("GET", fixed("/api/schema/"), EVERYONE),
    "api/docs/": Route("GET", fixed("/api/docs/"), EVERYONE),
    "api/v1/": Route("GET", fixed("/api/v1/"), API_SIGNED_IN),
    "api/v1/me/": Route("GET", fixed("/api/v1/me/"), API_SIGNED_IN),
    # Authenticated by its HMAC signature, not by a session: refused to everyone without one.
    # (JSON 403 in the API's error shape, which the matrix reads as "login" for anonymous callers.)
    "api/v1/logistics/webhook/": Route("POST", fixed("/api/v1/logistics/webhook/"),
                                       expect("403", anonymous="login")),
    # Raw MIME from a mail service, with an integrator's token; the probe's "{}" body is a 400 (still "ok").
    "api/v1/email/inbound/": Route("POST", fixed("/api/v1/email/inbound/"), API_INTEGRATOR),
    "api/v1/customers/": Route("GET", fixed("/api/v1/customers/"),
                               expect("403", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok",
                                      integrator="ok")),
    "api/v1/customers/<pk>/": Route(
        "GET", lambda w: f"/api/v1/customers/{w.users['customer'].customer_profile.pk}/",
        expect("403", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok", integrator="ok")),
    "api/v1/chat/embed-tokens/": Route(
        "POST", fixed("/api/v1/chat/embed-tokens/"), API_INTEGRATOR,
        data=lambda w: {"external_id": w.users["customer"].customer_profile.external_id}),
    "api/v1/orders/": Route("POST", fixed("/api/v1/orders/"), API_INTEGRATOR),
    "api/v1/orders/<pk>/": Route("GET", lambda w: f"/api/v1/orders/{w.request.order_id}/", API_INTEGRATOR),
    "api/v1/aftersales-requests/": Route("GET", fixed("/api/v1/aftersales-requests/"), API_SIGNED_IN),
    "api/v1/aftersales-requests/<number>/": Route(
        "GET", lambda w: f"/api/v1/aftersales-requests/{w.request.number}/",
        expect("ok", anonymous="login", merchant_staff="ok", integrator="404"),
        other_url=lambda w: f"/api/v1/aftersales-requests/{w.other_request.number}/",
        other=expect("404", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    "api/v1/aftersales-requests/<number>/transition/": Route(
        "POST", lambda w: f"/api/v1/aftersales-requests/{w.request.number}/transition/",
        expect("ok", anonymous="login", integrator="404"),
        other_url=lambda w: f"/api/v1/aftersales-requests/{w.other_request.number}/transition/",
        other=expect("404", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    "api/v1/knowledge/articles/": Route("GET", fixed("/api/v1/knowledge/articles/?q=退款"), API_SIGNED_IN),
    "api/v1/knowledge/articles/suggestions/": Route(
        "POST", fixed("/api/v1/knowledge/articles/suggestions/"),
        expect("403", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    "api/v1/knowledge/articles/<slug>/": Route(
        "GET", fixed("/api/v1/knowledge/articles/public-guide/"), API_SIGNED_IN,
        other_url=fixed("/api/v1/knowledge/articles/internal-guide/"),
        other=expect("404", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok")),
    "api/v1/tickets/": Route("GET", fixed("/api/v1/tickets/"), {**API_SIGNED_IN, "merchant_staff": "403"}),
    # Channels authenticate by their providers' signatures: without one, everyone is refused.
    "api/v1/channels/wechat/<str:app_id>/": Route("GET", fixed("/api/v1/channels/wechat/wx-none/"),
                                                  expect("403", anonymous="login")),
    "api/v1/channels/social/<slug:slug>/": Route("POST", fixed("/api/v1/channels/social/weibo/"),
                                                 expect("403", anonymous="login")),
    # Call records are the phone system's (an integrator); an empty body is a 400 for them ("ok" here).
    "api/v1/calls/": Route("POST", fixed("/api/v1/calls/"), API_INTEGRATOR),
    "api/v1/calls/<call_id>/": Route("GET", fixed("/api/v1/calls/none/"),
                                     expect("403", anonymous="login", integrator="404", supervisor="404",
                                            admin="404")),
    "api/v1/calls/<call_id>/recording/": Route("POST", fixed("/api/v1/calls/none/recording/"),
                                               expect("403", anonymous="login", integrator="404", admin="404")),
    # Side conversations are the desk's only; customers, merchants and integrators are refused.
    "api/v1/tickets/<ticket_pk>/side-conversations/": Route(
        "GET", lambda w: f"/api/v1/tickets/{w.ticket.pk}/side-conversations/",
        expect("403", anonymous="login", agent="ok", supervisor="ok", qa="ok", admin="ok"),
        other_url=lambda w: f"/api/v1/tickets/{w.other_ticket.pk}/side-conversations/",
        other=expect("403", anonymous="login", agent="404", supervisor="ok", qa="ok", admin="ok")),
    **{
        f"api/v1/tickets/<ticket_pk>/side-conversations/<pk>/{action}": Route(
            "POST", (lambda a: lambda w: f"/api/v1/tickets/{w.ticket.pk}/side-conversations/999999/{a}")(action),
            expect("403", anonymous="login", agent="404", supervisor="404", qa="404", admin="404"))
        for action in ("reply/", "close/", "reopen/")
    },
    # Integrators see the tickets they filed; merchants have no tickets here.
    **{
        f"api/v1/tickets/<pk>/{action}": Route(
            "GET" if action in ("", "messages/") else "POST",
            (lambda a: lambda w: f"/api/v1/tickets/{w.ticket.pk}/{a}")(action),
            expect("ok", anonymous="login", merchant_staff="403", integrator="404",
                   **_TICKET_ACTION_ONLY.get(action, {})),
            other_url=(lambda a: lambda w: f"/api/v1/tickets/{w.other_ticket.pk}/{a}")(action),
            other={**expect("404", anonymous="login", supervisor="ok", qa="ok", admin="ok", merchant_staff="403"),
                   **{role: seen for role, seen in _TICKET_ACTION_ONLY.get(action, {}).items()
                      if role not in ("customer", "agent")}},
            data=_TICKET_ACTION_DATA.get(action, lambda w: {}))
        for action in ("", "assign/", "escalate/", "messages/", "nudge/", "transition/")
    },
}


def _route_names(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern == "admin/":
                yield "admin/"
                continue
            yield from _route_names(entry, pattern)
        elif isinstance(entry, URLPattern):
            yield pattern


def _normalise(pattern: str) -> str | None:
    """A DRF router's regex as the matrix writes it ("api/v1/tickets/<pk>/assign/"); None for the
    format-suffix twins of a route and the catch-all 404s, which need no row of their own."""
    if "format" in pattern or pattern in ("^api/", "api/v1/<drf_format_suffix:format>"):
        return None
    pattern = pattern.replace("^", "").replace("$", "")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern)


def test_every_route_is_in_the_matrix() -> None:
    routes = {name for name in map(_normalise, _route_names(get_resolver())) if name is not None}
    assert routes - set(ROUTES) == set(), "routes without a row in the permission matrix"
    assert set(ROUTES) - routes == set(), "rows in the permission matrix for routes that no longer exist"


def _outcome(response: Any, role: str) -> str:
    code = response.status_code
    if code == 302 and ("/accounts/login/" in response["Location"] or "/admin/login/" in response["Location"]):
        return "login"
    if code == 401 or (code == 403 and role == "anonymous" and response.get("Content-Type") == "application/json"):
        return "login"
    if code in (403, 404, 405, 410) or code >= 500:
        return str(code)
    return "ok"


def _probe(world: World, role: str, route: Route, url: str) -> str:
    client = world.client(role)
    if route.method == "GET":
        return _outcome(client.get(url), role)
    data = route.data(world)
    if url.startswith("/api/"):
        return _outcome(client.post(url, data, content_type="application/json"), role)
    return _outcome(client.post(url, data), role)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_serves_each_role_as_the_matrix_says(world: World, name: str) -> None:
    route = ROUTES[name]
    seen = {role: _probe(world, role, route, route.url(world)) for role in ROLES}
    assert seen == route.own, f"{name} (own object)"
    if route.other_url is not None:
        assert route.other is not None
        seen = {role: _probe(world, role, route, route.other_url(world)) for role in ROLES}
        assert seen == route.other, f"{name} (someone else's object)"
