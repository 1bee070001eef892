from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles.roles import Role


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")
    # Supervisors keep the after-sales rules (policies, reasons, addresses, compensation, repair slots).
    role_permissions = {
        Role.QA: ["view_aftersalesrequest", "view_requestevent", "view_evaluation"],
        Role.SUPERVISOR: [
            *[f"{action}_{model}" for model in ("categorypolicy", "reason", "returnaddress", "compensationrule",
                                                 "repairslot", "contactmailbox")
              for action in ("view", "add", "change")],
            "view_aftersalesrequest", "view_requestevent", "view_refund", "view_advancecompensation",
            "view_evaluation", "view_order",
        ],
    }

    def ready(self) -> None:
        from aftersales import customer_merge as aftersales_merge
        from aftersales import notifications, ticket_hooks
        from aftersales.customer_facts import customer_facts
        from aftersales.models import RequestType
        from aftersales.services import logistics
        from aftersales.services.ticketing import SOURCE
        from aftersales.side_contacts import order_contacts
        from aftersales.timeline import aftersales_entries
        from core import customer_context, customer_merge, customer_tags, customer_timeline, side_contacts
        from tickets import tag_labels

        notifications.subscribe()
        ticket_hooks.subscribe()
        customer_context.register(customer_facts)
        customer_timeline.register(aftersales_entries)
        side_contacts.register(order_contacts)  # whom a ticket's side conversation may write to about its order
        customer_merge.register(aftersales_merge.HANDLER)
        logistics.register()  # a supervisor's retry of a quarantined parcel scan
        for kind in aftersales_merge.TAG_KINDS:
            customer_tags.register(kind)
        # The tags after-sales puts on its tickets read as words, not codes.
        tag_labels.register({SOURCE: _("After-sales"), **dict(RequestType.choices)})

    def seed_demo(self, stdout: Any) -> None:
        from aftersales import demo

        demo.seed(stdout)
