"""Every channel's adapter into the one registry (core/channel_registry.py), from TicketsConfig.ready()."""

from tickets.channels import calls, social
from tickets.channels.email import quarantine as email
from tickets.channels.wechat import intake as wechat


def register() -> None:
    """Each channel's adapter (what a quarantine retry runs, its sources' health), and its reply senders."""
    for channel in (email, wechat, social, calls):
        channel.register()
