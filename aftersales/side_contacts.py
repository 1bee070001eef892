"""The side-conversation contacts of an order (core.side_contacts): its store's mailbox and its couriers'."""

from django.db.models import Q
from django.utils.translation import gettext as _

from aftersales.models import ContactMailbox, Order, Shipment
from core.side_contacts import Contact


def order_contacts(order_number: str) -> list[Contact]:
    """One query: the mailboxes of the stores that sold an order of this number and of the couriers carrying it."""
    stores = Order.objects.filter(number=order_number).values("store_id")
    couriers = Shipment.objects.filter(order__number=order_number).values("courier")
    mailboxes = ContactMailbox.objects.filter(Q(store_id__in=stores) | Q(courier__in=couriers)).select_related(
        "store").order_by("courier", "pk")
    return [Contact(address=box.email, label=_("Store: %(name)s") % {"name": box.store} if box.store else
                    _("Courier: %(name)s") % {"name": box.get_courier_display()}) for box in mailboxes]
