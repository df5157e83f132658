"""Money at the edges of the CLV models: Decimal in, integer cents inside, Decimal out.

The models compute in float64; every amount that leaves this package is a ``Decimal``
quantized to 0.01 with ``ROUND_HALF_UP``. Amounts are kept as integer cents between the
purchase records and the model so that sums (historical CLV, repeat spend) stay exact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal | int) -> int:
    """Exact integer cents of a purchase amount (``Decimal`` or ``int``, >= 0, at most 2 places).

    Floats are refused: money is Decimal end to end. Amounts are ``Numeric(14, 2)`` in the
    database, so a finer amount is a caller bug and raises ``ValueError``.
    """
    if type(amount) is Decimal:  # the fast path: called once per purchase
        cents = amount.scaleb(2)
        if cents.is_finite():
            whole = int(cents)
            if whole == cents and whole >= 0:
                return whole
    return _checked_cents(amount)


def _checked_cents(amount: Decimal | int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amount must be Decimal or int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"amount must be finite: {amount!r}")
    if value < 0:
        raise ValueError(f"purchase amount must be >= 0: {amount!r}")
    cents = value.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"amount has more than 2 decimal places: {amount!r}")
    return int(cents)


def cents_to_money(cents: int) -> Decimal:
    """Integer cents as a Decimal with two places (exact)."""
    return Decimal(int(cents)).scaleb(-2).quantize(CENT)


def ratio_to_money(cents: int, divisor: int) -> Decimal:
    """``cents / divisor`` in currency units, computed exactly and rounded half-up to 0.01."""
    if divisor <= 0:
        return Decimal("0.00")
    return (Decimal(int(cents)) / Decimal(100 * int(divisor))).quantize(CENT, ROUND_HALF_UP)


def float_to_money(value: float) -> Decimal:
    """A model output (float, currency units) as money: Decimal rounded half-up to 0.01."""
    return Decimal(repr(float(value))).quantize(CENT, ROUND_HALF_UP)
