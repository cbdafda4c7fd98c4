"""National Provider Identifiers: ten digits, the last a check digit a clearinghouse verifies before any payer sees
the claim (a claim naming an NPI that fails it is rejected: 45 CFR 162.406; CMS, "Requirements for the NPI check
digit": the Luhn formula of ISO/IEC 7812-1 over the prefix 80840 and the first nine digits)."""
from __future__ import annotations

NPI_PREFIX = "80840"  # the health-industry issuer prefix the check digit is computed with


def luhn_check_digit(digits: str) -> int:
    """The digit that makes `digits` followed by it pass the Luhn formula."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)  # doubled from the rightmost, as the check digit follows
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def npi_problem(text: str) -> str | None:
    """Why the digits `text` are no NPI (None: a valid one)."""
    if len(text) != 10:
        return f"{len(text)} digits where an NPI has 10"
    if luhn_check_digit(NPI_PREFIX + text[:9]) != int(text[9]):
        return "its check digit (the last) does not match the other nine (a digit mistyped?)"
    return None
