from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from tickets.roles import TICKET_ROLE_PERMISSIONS


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")
    role_permissions = TICKET_ROLE_PERMISSIONS

    def ready(self) -> None:
        # Live pushes and webhooks hear ticket events in every process (web, worker).
        from core import customer_merge, customer_timeline
        from tickets import cached_config, realtime
        from tickets.channels import registry as channels
        from tickets.channels.email import outbound as email_outbound
        from tickets.customer_merge import HANDLER
        from tickets.services import delivery, outbound, search_index, triggers
        from tickets.timeline import contact_entries, ticket_entries

        realtime.subscribe()
        # The configuration every create reads is cached; a write to it drops the cached copy.
        cached_config.register()
        # The desk's replies on e-mail tickets go out by mail; on WeChat, Weibo and SMS through their senders;
        # both kinds of outgoing row through the one delivery skeleton and its sweep.
        email_outbound.subscribe()
        delivery.register_outbox(outbound.OUTBOX)
        delivery.register_outbox(email_outbound.OUTBOX)
        customer_timeline.register(ticket_entries)
        customer_timeline.register(contact_entries)
        customer_merge.register(HANDLER)
        # Every inbound channel's adapter in the one registry (a quarantine retry runs the channel's own intake
        # again), and the senders of the desk's replies on WeChat, Weibo, app and SMS tickets.
        channels.register()
        search_index.subscribe()
        # Triggers hear ticket (and after-sales) events and queue their run after the commit.
        triggers.subscribe()

    def seed_demo(self, stdout: Any) -> None:
        from tickets.demo import seed

        seed(stdout)
