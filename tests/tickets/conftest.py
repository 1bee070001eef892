from collections.abc import Callable
from typing import Any

import pytest

from profiles.models import AgentProfile, Team, User
from profiles.roles import Role
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tests.tickets.mailservers import imap_server, smtp_server  # noqa: F401  (real SMTP / IMAP server fixtures)
from tickets import services
from tickets.models import Ticket


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path / "attachments")


@pytest.fixture(autouse=True)
def _eager_celery(celery_eager: None) -> None:
    """The SLA sweep queues escalations with .delay(); they run inline here."""


@pytest.fixture
def team(db: None) -> Team:
    # A sequence name, not a fixed one: a fixed name collides with demo data a failed transactional test left.
    return TeamFactory.create()


@pytest.fixture
def make_agent(team: Team) -> Callable[..., User]:
    def make(*, online: bool = True, capacity: int = 5, teams: list[Team] | None = None, **kwargs: Any) -> User:
        presence = AgentProfile.Presence.ONLINE if online else AgentProfile.Presence.OFFLINE
        profile = AgentProfileFactory.create(user__roles=(Role.AGENT,), presence=presence, capacity=capacity, **kwargs)
        profile.teams.set(teams if teams is not None else [team])
        return profile.user

    return make


@pytest.fixture
def customer(db: None) -> User:
    return CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__username="zhangwei").user


@pytest.fixture
def supervisor(make_user: Callable[..., User]) -> User:
    return make_user("supervisor")


@pytest.fixture
def make_ticket(customer: User, team: Team) -> Callable[..., Ticket]:
    def make(**kwargs: Any) -> Ticket:
        kwargs.setdefault("customer", customer)
        kwargs.setdefault("subject", "订单一直没有发货")
        kwargs.setdefault("body", "我三天前下的单，到现在还没有发货，麻烦查一下。")  # noqa: RUF001
        kwargs.setdefault("team", team)
        return services.ticket_create(**kwargs)

    return make
