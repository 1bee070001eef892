"""Fixtures for the API tests."""

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from profiles.models import User


@pytest.fixture
def token_client_for(make_user: Callable[..., User]) -> Callable[[str], tuple[Client, User]]:
    """A client that authenticates with `Authorization: Token <key>` (no session), and its user."""

    def make(role: str) -> tuple[Client, User]:
        user = make_user(role)
        token = Token.objects.create(user=user)
        return Client(HTTP_AUTHORIZATION=f"Token {token.key}"), user

    return make
