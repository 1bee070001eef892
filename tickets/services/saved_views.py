"""Saving, sharing, ordering and deleting the desk's saved views."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from profiles.models import Team, User
from tickets.errors import NotAllowed
from tickets.models import SavedView
from tickets.selectors import is_desk

FILTER_NAMES = ("channel", "priority", "status", "tag")
MAX_PER_OWNER = 30


@transaction.atomic
def saved_view_create(*, owner: User, name: str, queue_view: str, filters: dict[str, Any], terms: str = "",
                      team: Team | None = None) -> SavedView:
    if not is_desk(owner):
        raise NotAllowed(_("Only the service desk can save views."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if team is not None and not team.agents.filter(user=owner).exists():
        raise ValidationError({"team": _("Share only with a team you are in.")})
    if SavedView.objects.filter(owner=owner).count() >= MAX_PER_OWNER:
        raise ValidationError({"name": _("At most %(n)s saved views each.") % {"n": MAX_PER_OWNER}})
    kept = {key: str(value) for key, value in filters.items() if key in FILTER_NAMES and value}
    position = (SavedView.objects.filter(owner=owner).aggregate(last=Max("position"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name, queue_view=queue_view, filters=kept,
                                            terms=terms.strip(), team=team, position=position)
    except IntegrityError:
        raise ValidationError({"name": _("You already have a view with this name.")}) from None


def _own(owner: User, view_id: int) -> SavedView:
    view = SavedView.objects.select_for_update().filter(pk=view_id, owner=owner).first()
    if view is None:
        raise NotAllowed(_("Only its owner can change a saved view."))
    return view


@transaction.atomic
def saved_view_delete(*, owner: User, view_id: int) -> None:
    _own(owner, view_id).delete()


@transaction.atomic
def saved_view_move(*, owner: User, view_id: int, up: bool) -> None:
    """Swap the view with its neighbour in the owner's order."""
    view = _own(owner, view_id)
    neighbours = SavedView.objects.select_for_update().filter(owner=owner)
    neighbour = (neighbours.filter(position__lt=view.position).order_by("-position", "-pk") if up
                 else neighbours.filter(position__gt=view.position).order_by("position", "pk")).first()
    if neighbour is None:
        return
    view.position, neighbour.position = neighbour.position, view.position
    SavedView.objects.bulk_update([view, neighbour], ["position"])
