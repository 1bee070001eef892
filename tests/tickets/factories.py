"""Factories for the tickets app's configuration rows; tickets themselves go through the service."""

from datetime import time
from typing import Any

import factory
from factory.django import DjangoModelFactory

from tickets.models import BusinessCalendar, BusinessHours, Category, SlaPolicy


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分类{n}")
    code = factory.Sequence(lambda n: f"cat-{n}")


def make_calendar(*, name: str = "客服工作日", opens: time = time(9), closes: time = time(18),
                  weekdays: range = range(5), statutory: bool = True) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name=name, use_statutory_holidays=statutory)
    BusinessHours.objects.bulk_create(
        [BusinessHours(calendar=calendar, weekday=day, opens_at=opens, closes_at=closes) for day in weekdays]
    )
    return calendar


class SlaPolicyFactory(DjangoModelFactory[SlaPolicy]):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA {n}")
    channel = ""
    priority = "normal"
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 480

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> SlaPolicy:
        kwargs.setdefault("calendar", make_calendar(name=f"日历-{kwargs['name']}"))
        return super()._create(model_class, *args, **kwargs)
