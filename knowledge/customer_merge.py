"""Questions the assistant could not answer follow a duplicate customer into the one they are merged into."""

from core.customer_merge import MergeHandler
from knowledge.models import UnansweredQuestion


def _move(source_id: int, target_id: int) -> dict[str, int]:
    moved = UnansweredQuestion.objects.filter(customer_id=source_id).update(customer_id=target_id)
    return {"knowledge.UnansweredQuestion.customer": moved}


HANDLER = MergeHandler(fields=("knowledge.UnansweredQuestion.customer",), move=_move)
