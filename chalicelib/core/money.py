"""Amounts for people: integer minor units (cents) formatted in the shop's currency.

Amounts are integers everywhere in Stockroom (`priceCents`, `totalCents`): no floating point ever
touches money. This module only turns them into text for receipts and e-mails. Pure.
"""

from __future__ import annotations

import re

# ISO 4217 minor-unit exponents that differ from 2 (the usual case).
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip
# Symbols written before the amount; other currencies are written "1,234.50 CHF".
_SYMBOLS = {
    "USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "MXN": "MX$", "HKD": "HK$", "SGD": "S$",
    "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪", "BRL": "R$",
}  # fmt: skip
_CODE = re.compile(r"^[A-Z]{3}$")


def minor_unit_exponent(currency: str) -> int:
    """How many decimals the currency has (USD 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


def format_money(amount: int, currency: str) -> str:
    """`1234567, "USD"` -> `$12,345.67`; `-500, "EUR"` -> `-€5.00`; `1500, "JPY"` -> `¥1,500`;
    `995, "CHF"` -> `9.95 CHF`. `amount` is in the currency's minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amounts are integer minor units, got {type(amount).__name__}")
    code = currency.upper()
    if not _CODE.match(code):
        raise ValueError(f"currency must be an ISO 4217 code such as USD, got {currency!r}")
    exponent = minor_unit_exponent(code)
    whole, fraction = divmod(abs(amount), 10**exponent)
    number = f"{whole:,}" + (f".{fraction:0{exponent}d}" if exponent else "")
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"
