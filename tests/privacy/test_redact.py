"""Personal data in questions and comments, and the redacted forms that are stored."""

import pytest

from hlsguide.privacy.redact import redact


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Email jane.doe+care@council.gov.uk about it", "Email [email] about it"),
        ("call 07700 900123 today", "call [phone] today"),
        ("ring +44 7700 900123", "ring [phone]"),
        ("landline 020-7946-0958.", "landline [phone]."),
        ("NI number JK 12 34 56 C on file", "NI number [NI number] on file"),
        ("ni ab123456c", "ni [NI number]"),
        ("lives at SW1A 1AA now", "lives at [postcode] now"),
        ("postcode m1 1ae", "postcode [postcode]"),
        ("My client John Smith was evicted", "My client [name] was evicted"),
        ("our service user called Amira needs help", "our service user called [name] needs help"),
        ("my client's Priya Patel case", "my client's [name] case"),
    ],
)
def test_personal_data_is_redacted(typed, stored):
    assert redact(typed) == stored


@pytest.mark.parametrize(
    "question",
    [
        "How do learning cycles work in 2024?",
        "What did the Plymouth Alliance do with 12 providers?",
        "Is payment by results (PbR) worth it for my client group?",
        "Which KPIs should providers hit?",
    ],
)
def test_ordinary_questions_are_unchanged(question):
    assert redact(question) == question
