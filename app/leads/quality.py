"""The lead quality score (0-100): a pure function of what we know about a submission.

Website leads start at 75 (seed 000); admin-entered leads at 90; partner leads at 70.
Each signal lowers it by a fixed amount and leaves a note saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_SCORE = {"web": 75, "admin": 90, "api": 70}

PENALTIES = {
    "honeypot": (60, "Spam trap field was filled in"),
    "invalid_phone": (25, "Phone number is not a real, assigned number"),
    "invalid_email": (25, "Email address is not valid"),
    "disposable_email": (30, "Email uses a disposable-inbox domain"),
    "duplicate": (30, "Near-duplicate of a lead from the last 24 hours"),
}


@dataclass(frozen=True)
class QualitySignals:
    source: str = "web"
    honeypot_filled: bool = False
    phone_given: bool = False
    phone_valid: bool = True
    email_given: bool = False
    email_valid: bool = True
    disposable_email: bool = False
    duplicate: bool = False


def score(signals: QualitySignals) -> tuple[int, list[str]]:
    """Return (score, notes). Notes name every signal that lowered the score."""
    value = BASE_SCORE.get(signals.source, 75)
    hits = []
    if signals.honeypot_filled:
        hits.append("honeypot")
    if signals.phone_given and not signals.phone_valid:
        hits.append("invalid_phone")
    if signals.email_given and not signals.email_valid:
        hits.append("invalid_email")
    if signals.disposable_email:
        hits.append("disposable_email")
    if signals.duplicate:
        hits.append("duplicate")
    notes = []
    for key in hits:
        penalty, note = PENALTIES[key]
        value -= penalty
        notes.append(note)
    return max(0, min(100, value)), notes


def needs_review(score_value: int, threshold: int) -> bool:
    """Below the threshold a lead is held for admin review instead of routed."""
    return score_value < threshold
