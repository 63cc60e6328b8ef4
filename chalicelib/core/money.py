"""Amounts for people: integer minor units (cents) to text in the shop's currency. Pure.

Amounts are stored and computed as integers in the currency's minor unit; only what people read is
formatted, here. ISO 4217 currencies without minor units (JPY) or with three (KWD) are respected.
"""

from __future__ import annotations

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "INR": "₹", "CHF": "CHF "}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def format_cents(cents: int, currency: str, *, symbol: bool = True) -> str:
    """`123456, "USD"` -> `$1,234.56`; `-500, "EUR"` -> `-€5.00`; `1234, "JPY"` -> `¥1,234`;
    unknown symbols fall back to the code (`SEK 12.00`). With `symbol=False`, just the number."""
    places = exponent(currency)
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 10**places)
    number = f"{whole:,}" + (f".{fraction:0{places}d}" if places else "")
    if not symbol:
        return sign + number
    code = currency.upper()
    prefix = _SYMBOLS.get(code, f"{code} ")
    return f"{sign}{prefix}{number}"
