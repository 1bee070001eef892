from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import translation

from core import events
from profiles.models import User
from tickets import services
from tickets.models import SatisfactionSurvey, Status, Ticket


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Assertions below read the English messages; pages default to Chinese.
    with translation.override("en"):
        yield



def test_solving_sends_one_survey_answered_once(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                                django_capture_on_commit_callbacks: Any) -> None:
    agent = make_agent()
    ticket = make_ticket()
    sent: list[events.DomainEvent] = []
    events.subscribe("ticket.survey_sent", sent.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
            services.ticket_transition(ticket=ticket, target=Status.OPEN, actor=agent)
            services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
    finally:
        events.unsubscribe("ticket.survey_sent", sent.append)
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 1 and len(sent) == 1
    token = sent[0].payload["token"]
    assert services.survey_for_token(token).ticket == ticket
    survey = services.survey_submit(token=token, attitude=5, speed=4, result=3, suggestion="  回复很及时  ")
    assert (survey.attitude, survey.speed, survey.result, survey.suggestion) == (5, 4, 3, "回复很及时")
    with pytest.raises(services.SurveyTokenInvalid, match="already"):
        services.survey_submit(token=token, attitude=1, speed=1, result=1)


def test_bad_tokens_and_scores_are_refused(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    ticket = make_ticket()
    services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=make_agent())
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    token = services.survey_token(survey)
    for bad in ["", "nonsense", token[:-2] + "xx", signing.dumps({"survey": survey.pk, "ticket": ticket.pk})]:
        with pytest.raises(services.SurveyTokenInvalid):
            services.survey_for_token(bad)
    with pytest.raises(ValidationError) as caught:
        services.survey_submit(token=token, attitude=0, speed=6, result=True)
    assert set(caught.value.message_dict) == {"attitude", "speed", "result"}
    survey.refresh_from_db()
    assert survey.submitted_at is None
