"""The one duration formatter: two units at most, each language's own ("1 h 1 min" / "1小时1分钟")."""

from datetime import timedelta

import pytest
from django.utils import translation

from core.durations import humanize_duration


@pytest.mark.parametrize(("seconds", "english", "chinese"), [
    (None, "—", "—"),
    (0, "0 s", "0秒"),
    (59, "59 s", "59秒"),
    (60, "1 min", "1分钟"),
    (3_660, "1 h 1 min", "1小时1分钟"),
    (7_200, "2 h", "2小时"),
    (47 * 3600 + 59 * 60, "47 h 59 min", "47小时59分钟"),
    (2 * 86_400, "2 d", "2天"),
    (3 * 86_400 + 5 * 3600, "3 d 5 h", "3天5小时"),
    (-3_660, "1 h 1 min", "1小时1分钟"),  # a magnitude: the caller says "left" or "overdue"
    (timedelta(minutes=90), "1 h 30 min", "1小时30分钟"),
])
def test_durations_read_naturally_in_both_languages(seconds: float | timedelta | None, english: str,
                                                    chinese: str) -> None:
    with translation.override("en"):
        assert humanize_duration(seconds) == english
    with translation.override("zh-hans"):
        assert humanize_duration(seconds) == chinese
