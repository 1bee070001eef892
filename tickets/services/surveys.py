"""Satisfaction surveys: one per solved ticket, answered once through a signed link."""

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.errors import TicketError
from tickets.models import SatisfactionSurvey, Ticket
from tickets.services.common import publish

SALT = "tickets.survey"
SCORES = ("attitude", "speed", "result")


class SurveyTokenInvalid(TicketError):
    def __init__(self, message: Any) -> None:
        super().__init__(message, code="survey_token_invalid", field="token")


def survey_token(survey: SatisfactionSurvey) -> str:
    return signing.dumps({"survey": survey.pk, "ticket": survey.ticket_id}, salt=SALT, compress=True)


def survey_create(*, ticket: Ticket) -> tuple[SatisfactionSurvey, bool]:
    """The ticket's survey, made on its first solve only (a reopened and re-solved ticket keeps the first)."""
    survey, created = SatisfactionSurvey.objects.get_or_create(
        ticket=ticket, defaults={"customer_id": ticket.customer_id}
    )
    if created:
        publish("ticket.survey_sent", ticket, survey_id=survey.pk, token=survey_token(survey))
    return survey, created


def survey_for_token(token: str) -> SatisfactionSurvey:
    """The survey a link points at; a forged, expired or already answered link is refused."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.TICKETS_SURVEY_LINK_DAYS * 86400)
    except signing.BadSignature:
        raise SurveyTokenInvalid(_("This survey link is not valid or has expired.")) from None
    survey = SatisfactionSurvey.objects.select_related("ticket").filter(
        pk=data.get("survey"), ticket_id=data.get("ticket")
    ).first()
    if survey is None:
        raise SurveyTokenInvalid(_("This survey link is not valid or has expired."))
    if survey.submitted_at is not None:
        raise SurveyTokenInvalid(_("This survey has already been answered. Thank you!"))
    return survey


@transaction.atomic
def survey_submit(*, token: str, attitude: int, speed: int, result: int, suggestion: str = "") -> SatisfactionSurvey:
    survey = survey_for_token(token)
    survey = SatisfactionSurvey.objects.select_for_update().select_related("ticket").get(pk=survey.pk)
    if survey.submitted_at is not None:
        raise SurveyTokenInvalid(_("This survey has already been answered. Thank you!"))
    scores = {"attitude": attitude, "speed": speed, "result": result}
    errors = {
        name: _("Choose a score from 1 to 5.") for name, value in scores.items()
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5
    }
    if len(suggestion) > 2000:
        errors["suggestion"] = _("At most %(limit)s characters.") % {"limit": 2000}
    if errors:
        raise ValidationError(errors)
    survey.attitude, survey.speed, survey.result = attitude, speed, result
    survey.suggestion = suggestion.strip()
    survey.submitted_at = timezone.now()
    survey._history_user = survey.ticket.customer  # type: ignore[attr-defined]
    survey.save()
    publish("ticket.survey_submitted", survey.ticket, survey_id=survey.pk, attitude=attitude, speed=speed,
            result=result)
    return survey
