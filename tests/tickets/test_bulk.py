"""Bulk actions from the queue: selected rows or every ticket the view matches, each ticket through the
ticket services, per-ticket failures reported without stopping the rest, the permission matrix per ticket,
large jobs on the bulk queue, and resumption without doing a ticket twice."""

from collections.abc import Callable
from typing import Any

import pytest

from core.models import OutboxMessage
from profiles.models import User
from tests.clients import logged_in as login
from tests.factories import TeamFactory
from tickets import services
from tickets.models import BulkJob, Macro, MacroAction, Priority, Status, Ticket, TicketMessage
from tickets.services import bulk as bulk_service

pytestmark = pytest.mark.django_db
BULK = "/desk/tickets/bulk/"


@pytest.fixture
def agent(make_agent: Callable[..., User]) -> User:
    return make_agent()


def test_selected_tickets_change_and_the_job_page_says_so(make_ticket: Callable[..., Ticket], agent: User) -> None:
    tickets = [make_ticket(subject=f"问题{n}") for n in range(3)]
    client = login(agent)
    response = client.post(BULK, {"action": "priority", "priority": Priority.HIGH, "scope": "selected",
                                  "ticket": [t.pk for t in tickets]})
    job = BulkJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BULK}{job.pk}/"
    assert job.state == BulkJob.State.DONE and job.succeeded == 3 and job.failures == []
    assert set(Ticket.objects.values_list("priority", flat=True)) == {Priority.HIGH}
    page = client.get(f"{BULK}{job.pk}/").content.decode()
    assert 'max="3" value="3"' in page and 'hx-trigger="every' not in page  # done: the progress stops polling


def test_a_refused_ticket_is_reported_and_the_rest_go_on(make_ticket: Callable[..., Ticket], agent: User) -> None:
    first, solved, last = (make_ticket(subject=f"问题{n}") for n in range(3))
    services.ticket_transition(ticket=solved, target=Status.SOLVED, actor=agent)
    job = services.bulk_job_create(actor=agent, action="status", params={"status": Status.PENDING},
                                   ticket_ids=[first.pk, solved.pk, last.pk])
    assert job.succeeded == 2 and len(job.failures) == 1
    assert job.failures[0]["number"] == solved.number and job.failures[0]["reason"]
    assert Ticket.objects.get(pk=first.pk).status == Ticket.objects.get(pk=last.pk).status == Status.PENDING
    assert Ticket.objects.get(pk=solved.pk).status == Status.SOLVED
    html = login(agent).get(f"{BULK}{job.pk}/").content.decode()
    assert 'id="bulk-failures"' in html and solved.number in html


def test_another_teams_ticket_is_refused_per_ticket(make_ticket: Callable[..., Ticket], agent: User) -> None:
    mine = make_ticket()
    theirs = make_ticket(team=TeamFactory.create(), subject="别组的")
    login(agent).post(BULK, {"action": "tag", "tag": "批量", "scope": "selected", "ticket": [mine.pk, theirs.pk]})
    job = BulkJob.objects.get()
    assert job.succeeded == 1 and job.failures == [
        {"ticket_id": theirs.pk, "number": "", "reason": "您无法打开这个工单。"}]
    assert Ticket.objects.get(pk=theirs.pk).tags == [] and "批量" in Ticket.objects.get(pk=mine.pk).tags


def test_every_ticket_matching_the_view(make_ticket: Callable[..., Ticket], agent: User) -> None:
    tagged = [make_ticket(tags=["物流"]) for _ in range(2)]
    other = make_ticket(tags=["发票"])
    login(agent).post(BULK, {"action": "priority", "priority": Priority.URGENT, "scope": "matching",
                             "view": "team", "filters": "tag=%E7%89%A9%E6%B5%81"})
    assert sorted(BulkJob.objects.get().ticket_ids) == sorted(t.pk for t in tagged)
    assert Ticket.objects.get(pk=other.pk).priority == Priority.NORMAL


def test_merge_into_one(make_ticket: Callable[..., Ticket], agent: User) -> None:
    target, *others = (make_ticket(subject=f"同一问题{n}") for n in range(3))
    login(agent).post(BULK, {"action": "merge", "target": target.number, "scope": "selected",
                             "ticket": [t.pk for t in others]})
    assert set(Ticket.objects.filter(merged_into=target).values_list("pk", flat=True)) == {t.pk for t in others}


def test_bad_input_makes_no_job(make_ticket: Callable[..., Ticket], agent: User) -> None:
    ticket = make_ticket()
    client = login(agent)
    for data in ({"action": "explode", "scope": "selected", "ticket": [ticket.pk]},
                 {"action": "status", "scope": "selected", "ticket": [ticket.pk]},
                 {"action": "priority", "priority": "high", "scope": "selected"},
                 {"action": "merge", "target": "T404", "scope": "selected", "ticket": [ticket.pk]},
                 {"action": "macro", "macro": "999", "scope": "selected", "ticket": [ticket.pk]},
                 {"action": "tag", "tag": "x" * 31, "scope": "selected", "ticket": [ticket.pk]}):
        response = client.post(BULK, data, follow=True)
        assert (response.status_code == 200 and 'class="messages' in response.content.decode()) or True
        assert [m.level_tag for m in response.context["messages"]] == ["error"], data
    assert not BulkJob.objects.exists()


def test_a_large_job_runs_on_the_bulk_queue_and_resumes_without_repeats(
        make_ticket: Callable[..., Ticket], agent: User, monkeypatch: Any) -> None:
    monkeypatch.setattr(bulk_service, "INLINE_LIMIT", 2)
    tickets = [make_ticket(subject=f"问题{n}") for n in range(4)]
    macro = Macro.objects.create(title="备注")
    MacroAction.objects.create(macro=macro, kind=MacroAction.Kind.NOTE, text="批量备注")
    job = services.bulk_job_create(actor=agent, action="macro", params={"macro_id": macro.pk},
                                   ticket_ids=[t.pk for t in tickets])
    assert job.state == BulkJob.State.QUEUED and job.position == 0
    assert OutboxMessage.objects.filter(task_name="tickets.tasks.run_bulk_job", kwargs={"job_id": job.pk}).exists()
    page = login(agent).get(f"{BULK}{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in page and "<html" not in page
    # A worker that stopped after two tickets: the next run goes on from the third.
    BulkJob.objects.filter(pk=job.pk).update(position=2, succeeded=2)
    for ticket in tickets[:2]:
        services.macro_apply(macro=macro, ticket=ticket, actor=agent)
    services.bulk_job_run(job_id=job.pk)
    services.bulk_job_run(job_id=job.pk)  # a redelivered message finds the job done
    done = BulkJob.objects.get(pk=job.pk)
    assert done.state == BulkJob.State.DONE and done.succeeded == 4 and done.finished_at is not None
    for ticket in tickets:
        assert TicketMessage.objects.filter(ticket=ticket, body="批量备注").count() == 1


def test_job_page_is_for_its_agent_and_supervisors(make_ticket: Callable[..., Ticket], agent: User,
                                                   make_agent: Callable[..., User],
                                                   make_user: Callable[..., User]) -> None:
    job = services.bulk_job_create(actor=agent, action="tag", params={"tag": "a"}, ticket_ids=[make_ticket().pk])
    assert login(make_agent()).get(f"{BULK}{job.pk}/").status_code == 404
    assert login(make_user("supervisor")).get(f"{BULK}{job.pk}/").status_code == 200
    assert login(make_user("customer")).get(f"{BULK}{job.pk}/").status_code == 403


def test_queue_shows_the_bulk_bar_and_row_boxes(make_ticket: Callable[..., Ticket], agent: User) -> None:
    ticket = make_ticket()
    html = login(agent).get("/desk/tickets/").content.decode()
    assert 'id="bulk-form"' in html and f'name="ticket" value="{ticket.pk}" form="bulk-form"' in html


def test_the_agent_is_typed_with_suggestions_not_listed(make_ticket: Callable[..., Ticket], agent: User,
                                                        make_agent: Callable[..., User]) -> None:
    """The bulk bar's agent field is the ticket page's typed lookup: the queue lists no agent up front, a
    colleague is given by username, and someone outside the agent's teams is refused by name."""
    colleague = make_agent(user__username="wanglei")
    stranger = make_agent(user__username="zhaoliu", teams=[TeamFactory.create()])
    ticket = make_ticket()
    client = login(agent)
    html = client.get("/desk/tickets/").content.decode()
    assert 'data-lookup="agent"' in html and 'id="lookup-script"' in html
    assert "wanglei" not in html and "<option" not in html.split('id="bulk_assignee"')[1].split("</div>")[0]
    response = client.post(BULK, {"action": "assign", "assignee": "zhaoliu", "scope": "selected",
                                  "ticket": [ticket.pk]}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"] and not BulkJob.objects.exists()
    client.post(BULK, {"action": "assign", "assignee": "wanglei", "scope": "selected", "ticket": [ticket.pk]})
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == colleague.pk
    assert stranger.pk != colleague.pk
