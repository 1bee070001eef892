"""Money: integer fen everywhere it is stored, computed or sent (database, API, exports); yuan only where a
person reads or types it. Every page, message and form converts through here.

Amounts show as ¥3,299.00 in both languages: Chinese shops group yuan by thousands with commas too (Django's
zh-hans number format groups by 10,000 without a separator, which no shop uses for prices).
"""

from decimal import Decimal

CENTS = Decimal("0.01")


def fen_to_yuan(fen: int) -> Decimal:
    """329900 → Decimal("3299.00"), exactly."""
    return Decimal(fen).scaleb(-2)


def yuan_to_fen(yuan: Decimal) -> int:
    """Decimal("3299.00") → 329900; a fraction of a fen is refused, never rounded away."""
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{yuan} is not a whole number of fen")
    return int(fen)


def yuan_text(fen: int) -> str:
    """The amount as a person types it in a form: 329900 → "3299.00"."""
    return f"{fen_to_yuan(fen):.2f}"


def format_fen(fen: int | None) -> str:
    """The amount as people read it: 329900 → "¥3,299.00", -150 → "-¥1.50", None → ""."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"
