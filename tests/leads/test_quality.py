"""The quality score: website leads start at 75; each bad signal lowers it and says why."""

import pytest

from app.leads.quality import QualitySignals, needs_review, score


def test_clean_website_lead_scores_75_with_no_notes():
    assert score(QualitySignals(source="web", email_given=True, phone_given=True)) == (75, [])


def test_sources_start_at_their_own_base():
    assert score(QualitySignals(source="admin"))[0] == 90
    assert score(QualitySignals(source="api"))[0] == 70


@pytest.mark.parametrize(
    "signals, expected, note",
    [
        (QualitySignals(honeypot_filled=True), 15, "Spam trap"),
        (QualitySignals(phone_given=True, phone_valid=False), 50, "Phone number"),
        (QualitySignals(email_given=True, email_valid=False), 50, "Email address is not valid"),
        (QualitySignals(email_given=True, disposable_email=True), 45, "disposable"),
        (QualitySignals(duplicate=True), 45, "Near-duplicate"),
    ],
)
def test_each_signal_lowers_the_score_and_explains(signals, expected, note):
    value, notes = score(signals)
    assert value == expected
    assert len(notes) == 1 and note in notes[0]


def test_invalid_phone_without_a_phone_is_not_penalised():
    assert score(QualitySignals(phone_given=False, phone_valid=False))[0] == 75


def test_score_is_clamped_at_zero():
    value, notes = score(
        QualitySignals(honeypot_filled=True, disposable_email=True, duplicate=True, phone_given=True, phone_valid=False)
    )
    assert value == 0 and len(notes) == 4


def test_threshold_holds_only_below():
    assert needs_review(49, 50) and not needs_review(50, 50)
