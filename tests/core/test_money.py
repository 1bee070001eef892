"""The one money rule: integer fen stored, yuan shown or typed, converted exactly."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.money import fen_to_yuan, format_fen, yuan_text, yuan_to_fen


@pytest.mark.parametrize(("fen", "shown"), [
    (329900, "¥3,299.00"), (5, "¥0.05"), (0, "¥0.00"), (-150, "-¥1.50"), (123456789, "¥1,234,567.89"), (None, ""),
])
def test_amounts_read_the_same_in_both_languages(fen: int | None, shown: str) -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert format_fen(fen) == shown
            assert Template("{% load aftersales_tags %}{{ fen|yuan }}").render(Context({"fen": fen})) == shown


def test_fen_and_yuan_convert_exactly_both_ways() -> None:
    assert fen_to_yuan(329901) == Decimal("3299.01") and yuan_text(329901) == "3299.01"
    assert yuan_text(7) == "0.07"
    assert yuan_to_fen(Decimal("3299.01")) == 329901 and yuan_to_fen(Decimal("0.1")) == 10
    assert all(yuan_to_fen(fen_to_yuan(fen)) == fen for fen in (0, 1, 99, 100, 10**12 + 7))


def test_a_fraction_of_a_fen_is_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="fen"):
        yuan_to_fen(Decimal("12.999"))
