"""The one phone-number rule: what the clinic's number must look like, and what a patient's
callback number may be.

A patient's number is accepted with its area code: 10 digits (North America, an optional
leading 1 or +1), or an international number written with + and 8 to 15 digits. Spaces,
dots, dashes and brackets are allowed between the digits. It is kept as E.164 ("+15551234567"),
so staff dial exactly one form, whatever the patient typed.
"""
from __future__ import annotations

import re
from typing import Optional

CLINIC_FORMAT = re.compile(r"^\d{3}-\d{3}-\d{4}$")  # as patients read it: 844-288-7474
_TYPED = re.compile(r"^\+?[\d\s().-]{7,25}$")


def patient_number(text: object) -> Optional[str]:
    """The number in E.164 form, or None when `text` is not a phone number with its area code."""
    typed = str(text or "").strip()
    if not _TYPED.match(typed):
        return None
    digits = re.sub(r"\D", "", typed)
    if typed.startswith("+"):
        return f"+{digits}" if 8 <= len(digits) <= 15 and not digits.startswith("0") else None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return f"+1{digits}" if len(digits) == 10 and digits[0] not in "01" else None


def check_clinic_number(number: str, setting: str) -> str:
    """`number` if it is written 844-288-7474 style; else a ValueError naming the setting."""
    if not CLINIC_FORMAT.match(number):
        raise ValueError(f"{setting} must look like 844-288-7474, got {number!r}")
    return number


def tel_uri(number: str) -> str:
    """A `tel:` link for a clinic number (NNN-NNN-NNNN) or an E.164 number."""
    return "tel:" + (number if number.startswith("+") else "+1" + number.replace("-", ""))


def readable(number: str) -> str:
    """A stored E.164 number as staff dial it: "+15551234567" -> "555-123-4567"."""
    if len(number) == 12 and number.startswith("+1"):
        return f"{number[2:5]}-{number[5:8]}-{number[8:]}"
    return number
