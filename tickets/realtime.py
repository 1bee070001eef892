"""Live pushes for tickets: every ticket domain event reaches the sockets that show that ticket.

Subscribed to the core's on-commit events (so nothing rolled back is ever announced). A push
carries only which ticket changed and how; the page re-fetches its own HTML through the normal
views, so access checks and rendering stay in one place. Groups:
- `tickets.team.<id>` / `tickets.agent.<id>`: desk sockets of that team's agents / of that agent;
- `tickets.all`: supervisors, QA and admins, who watch every queue;
- `tickets.customer.<ticket id>`: the customer's own ticket page, told only of public changes.
"""

from typing import Any

from core import channel_push, events, webhooks

ALL_GROUP = "tickets.all"
TICKET_EVENTS = (
    "ticket.created", "ticket.replied", "ticket.note_added", "ticket.assigned", "ticket.status_changed",
    "ticket.transferred", "ticket.escalated", "ticket.merged", "ticket.nudged", "ticket.child_created",
    "ticket.updated", "ticket.side_replied",
)
# Integrators may subscribe to these (admin → webhook endpoints); notes and mentions stay internal.
WEBHOOK_EVENTS = (
    "ticket.created", "ticket.replied", "ticket.assigned", "ticket.status_changed", "ticket.transferred",
    "ticket.escalated", "ticket.merged", "ticket.nudged", "ticket.child_created", "ticket.linked",
    "ticket.survey_sent", "ticket.survey_submitted", "ticket.updated",
)
# What the customer's page may hear of: their own conversation and status, never internal work.
CUSTOMER_EVENTS = frozenset({"ticket.replied", "ticket.status_changed", "ticket.merged"})


def team_group(team_id: int) -> str:
    return f"tickets.team.{team_id}"


def agent_group(user_id: int) -> str:
    return f"tickets.agent.{user_id}"


def customer_group(ticket_id: int) -> str:
    return f"tickets.customer.{ticket_id}"


def desk_groups(payload: dict[str, Any]) -> set[str]:
    """Every desk group that shows this ticket now or showed it just before (transfer, reassignment)."""
    groups = {ALL_GROUP}
    for key in ("team_id", "previous_team_id"):
        if payload.get(key):
            groups.add(team_group(payload[key]))
    for key in ("assignee_id", "previous_assignee_id"):
        if payload.get(key):
            groups.add(agent_group(payload[key]))
    return groups


def push_ticket_events(published: list[events.DomainEvent]) -> None:
    """One message per group for the events of one publish (core.channel_push: one round trip), after commit
    (core.events). A group that shows several of the tickets gets them in one message (`ticket_ids`)."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for event in published:
        payload = event.payload
        if event.name == "ticket.assigned" and payload.get("at_creation"):
            # A new ticket's first assignee: the ticket.created push reached the same groups a moment ago.
            continue
        groups = desk_groups(payload)
        if event.name in CUSTOMER_EVENTS:
            groups.add(customer_group(payload["ticket_id"]))
        for group in groups:
            by_group.setdefault(group, []).append(payload)
    sends = []
    for group, payloads in sorted(by_group.items()):
        first = payloads[0]
        message = {"type": "ticket.event", "event": published[0].name, "ticket_id": first["ticket_id"],
                   "number": first.get("number", ""), "status": first.get("status", "")}
        if len(payloads) > 1:
            message["ticket_ids"] = [payload["ticket_id"] for payload in payloads]
        sends.append((group, message))
    if sends:
        channel_push.send_to_groups(sends)


def subscribe() -> None:
    """Called once per process from TicketsConfig.ready(): live pushes, and ticket events offered to webhooks."""
    for name in TICKET_EVENTS:
        events.subscribe_batch(name, push_ticket_events)
    webhooks.register_events(WEBHOOK_EVENTS)


def notifications_group(user_id: int) -> str:
    """The desk shell's sockets of one user (desk.consumers), told when their unread notifications change."""
    return f"notifications.user.{user_id}"


def push_notifications_changed(user_ids: list[int]) -> None:
    """A hint only: each socket recounts its user's unread notifications, so pushes may arrive in any order."""
    channel_push.send_to_groups([(notifications_group(user_id), {"type": "notifications.changed"})
                                 for user_id in sorted(set(user_ids))])
