"""Redaction of personal data that staff may type into a question or a comment: email
addresses, UK phone numbers, National Insurance numbers, postcodes, and the name that follows
"my client" (or service user, resident, ...). Applied before anything is stored.

Each pattern starts only where a match can begin (a lookbehind refuses the middle of a run),
so the scan stays linear on any input."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])",
    re.I,
)
# +44 or 0, then 9 or 10 more digits, spaces or hyphens allowed between them.
_PHONE = re.compile(r"(?<![\w+])(?:\+44[ -]?(?:\(0\))?|0)(?:\d[ -]?){8,9}\d(?!\d)")
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}(?![A-Za-z0-9])", re.I)
_PERSON = re.compile(
    r"(?<!\w)((?:[Mm]y|[Oo]ur) (?:client|service user|resident|tenant|patient|customer|"
    r"claimant|service-user)(?:'s)?,?(?: (?:called|named|is))? )"
    r"([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)"
)

REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_EMAIL, "[email]"),
    (_NI_NUMBER, "[NI number]"),
    (_PHONE, "[phone]"),
    (_POSTCODE, "[postcode]"),
)


def redact(text: str) -> str:
    """``text`` with personal data replaced by a bracketed label of its kind."""
    for pattern, label in REDACTIONS:
        text = pattern.sub(label, text)
    return _PERSON.sub(r"\1[name]", text)
