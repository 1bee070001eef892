"""Feature flags: a stable canary share of agents; waffle's usual rules for everyone else."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from waffle.models import Flag

from core.flags import canary_bucket, flag_active
from profiles.models import User

pytestmark = pytest.mark.django_db

NAME = "desk_canary_test"


def request_for(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def set_flag(**values: Any) -> Flag:
    flag, _ = Flag.objects.update_or_create(name=NAME, defaults={"everyone": None, "percent": None, **values})
    # Waffle clears its cached copy on commit, which a test's transaction never reaches.
    flag.flush()
    return flag


def test_buckets_are_stable_and_spread() -> None:
    assert canary_bucket(NAME, 42) == canary_bucket(NAME, 42)
    buckets = [canary_bucket(NAME, user_id) for user_id in range(2000)]
    assert all(0 <= bucket < 100 for bucket in buckets)
    share = sum(bucket < 30 for bucket in buckets) / len(buckets)
    assert 0.26 < share < 0.34
    # Another flag puts other agents first: canaries do not always land on the same people.
    assert [canary_bucket("other", i) for i in range(50)] != buckets[:50]


def test_a_share_of_agents_gets_the_flag_and_each_keeps_their_answer(make_user: Callable[..., User]) -> None:
    set_flag(percent=30)
    agents = [make_user("agent") for _ in range(40)]
    first = [flag_active(request_for(agent), NAME) for agent in agents]
    assert first == [canary_bucket(NAME, agent.pk) < 30 for agent in agents]
    assert 0 < sum(first) < len(agents)
    assert [flag_active(request_for(agent), NAME) for agent in agents] == first


def test_all_none_named_and_switched_off(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    set_flag(percent=99.9)
    assert flag_active(request_for(agent), NAME)
    set_flag(percent=0)
    assert not flag_active(request_for(agent), NAME)
    flag = set_flag(percent=0)
    flag.users.add(agent)
    flag.flush()
    assert flag_active(request_for(agent), NAME)
    set_flag(percent=99.9, everyone=False)
    assert not flag_active(request_for(agent), NAME)


def test_unknown_flags_are_off_and_customers_follow_waffle(make_user: Callable[..., User]) -> None:
    assert not flag_active(request_for(make_user("agent")), "never-created")
    set_flag(percent=0)
    assert not flag_active(request_for(make_user("customer")), NAME)
    assert not flag_active(request_for(AnonymousUser()), NAME)
    set_flag(everyone=True)
    assert flag_active(request_for(make_user("customer")), NAME)
