"""Fixtures shared by every test: one user per role, and a client logged in as each."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from profiles import services
from profiles.models import User
from profiles.roles import Role
from service_center.celery import app as celery_app
from tests.factories import AgentProfileFactory, CustomerProfileFactory, StoreFactory, UserFactory

# The live Daphne server and Chromium page of the browser tests, for every app's tests; DELETE-based flush.
pytest_plugins = ["tests.browser", "tests.fast_flush", "tests.long_first", "tests.schema_cache"]

ALL_ROLES = ["anonymous", "customer", "agent", "supervisor", "qa", "merchant_staff", "admin"]


@pytest.fixture(autouse=True)
def _isolated_cache_and_throttles() -> Any:
    # Throttle counters and axes lockouts live in the shared Redis cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    # A request in English leaves its language active on the worker's thread, and a service the next test calls
    # directly (a chat transcript's part labels, a note) would write English: found with random test order.
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Factories hash a password per user; PBKDF2 at production strength costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _password_only_sign_in(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests sign staff in with `force_login`, which has no second step; tests/profiles/test_two_factor.py
    turns the requirement back on and proves it. The environment variable reaches live servers started
    as subprocesses."""
    settings.STAFF_TWO_FACTOR_REQUIRED = False
    monkeypatch.setenv("STAFF_TWO_FACTOR_REQUIRED", "0")


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Tasks queued with .delay() run inline (after commit, where the caller queues on commit), as a
    worker would run them."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """A saved user holding `role` (plus the profile the role implies)."""

    def make(role: str, **kwargs: Any) -> User:
        if role == "customer":
            return CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), **kwargs).user
        if role == "agent":
            return AgentProfileFactory.create(user__roles=(Role.AGENT,), **kwargs).user
        if role == "admin":
            return UserFactory.create(roles=(Role.ADMIN,), is_superuser=True, **kwargs)
        if role == "merchant_staff":
            user = UserFactory.create(roles=(Role.MERCHANT_STAFF,), **kwargs)
            services.store_add_staff(store=StoreFactory.create(), user=user)
            return user
        return UserFactory.create(roles=(Role(role),), **kwargs)

    return make


@pytest.fixture
def client_for(make_user: Callable[..., User]) -> Callable[[str], Client]:
    """`client_for("agent")`: a test client logged in as a new user of that role ("anonymous": none)."""

    def make(role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(make_user(role))
        return client

    return make
