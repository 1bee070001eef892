"""The workbench's link to the knowledge-base editor, with the count of open review tasks.

A template tag rather than view context, so the desk home (owned by the chat app) needs one line.
"""

from typing import Any

from django import template

from knowledge import selectors
from knowledge.workflow import EDIT_PERMISSION

register = template.Library()


@register.inclusion_tag("knowledge/_desk_link.html", takes_context=True)
def knowledge_editor_link(context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    if user is None or not user.has_perm(EDIT_PERMISSION):
        return {"show": False}
    count = selectors.open_review_task_count()
    return {
        "show": True,
        "count": count,
        "capped": count >= selectors.REVIEW_TASK_COUNT_CAP,
        "shown": min(count, selectors.REVIEW_TASK_COUNT_CAP - 1),
    }
