"""Credits: a provider's wallet kept as an append-only ledger.

`CreditEntry` rows are never edited; the balance is the sum of a provider's entries. A
`CreditWallet` row carries that sum as a column with CHECK (balance >= 0) and is moved by a
conditional UPDATE in the same transaction as each entry, so the database itself refuses a
debit that would make the balance negative (and concurrent debits serialise on the row).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.models.base import Model, UTCDateTime, check_in

CREDIT_KINDS = ("grant", "spend", "refund")


class CreditWallet(Model):
    __tablename__ = "credit_wallets"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class CreditEntry(Model):
    __tablename__ = "credit_entries"
    __table_args__ = (
        CheckConstraint(check_in("kind", CREDIT_KINDS), name="kind"),
        # grants and refunds add, spends take (a pro unlock is a spend of 0)
        CheckConstraint(
            "(kind = 'spend' AND amount <= 0) OR (kind IN ('grant', 'refund') AND amount > 0)",
            name="amount_sign",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    reference: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    provider = relationship("Provider")
    creator = relationship("User")
