"""Test clients signed in as a given user."""

from typing import Any

from django.test import Client


def logged_in(user: Any) -> Client:
    """A test client with `user`'s session (no password, no second step)."""
    client = Client()
    client.force_login(user)
    return client
