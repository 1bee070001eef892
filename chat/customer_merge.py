"""Chats follow a duplicate customer into the one they are merged into."""

from django.utils.translation import gettext as _

from chat.models import Conversation
from core.api import ApplicationError
from core.customer_merge import MergeHandler


def _move(source_id: int, target_id: int) -> dict[str, int]:
    # A customer has one open conversation; two would break that rule and confuse both chat windows.
    open_ones = Conversation.objects.filter(customer_id__in=(source_id, target_id)).exclude(
        status=Conversation.Status.ENDED)
    if open_ones.filter(customer_id=source_id).exists() and open_ones.filter(customer_id=target_id).exists():
        raise ApplicationError(_("Both customers have a chat open. End one of them before merging."),
                               code="open_chats", status_code=409)
    moved = Conversation.objects.filter(customer_id=source_id).update(customer_id=target_id)
    return {"chat.Conversation.customer": moved}


HANDLER = MergeHandler(fields=("chat.Conversation.customer",), move=_move)
