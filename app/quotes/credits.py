"""The credit wallet: append-only ledger entries plus a wallet row whose balance can never go
negative (CHECK balance >= 0 in the database, moved by a conditional UPDATE).

`post` writes one entry and moves the balance: either both happen or neither does. An
idempotency key already used returns the first entry and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected, dialect_insert, insert_new
from app.core.refusal import Refusal
from app.models import CreditEntry, CreditWallet
from app.platform import audit


class InsufficientCredits(Exception):
    """The wallet does not hold enough credits for this debit."""


@dataclass(frozen=True)
class Posted:
    entry: CreditEntry  # a new entry is built from what was inserted (not attached to the session)
    created: bool  # False: the key was used before, nothing changed


def insert_ignore(session: Session, model, values: dict) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on either database; returns rows inserted (0 or 1)."""
    return len(insert_new(session, model, [values]))


def ensure_wallet(session: Session, provider_id: int) -> None:
    insert_ignore(session, CreditWallet, {"provider_id": provider_id, "balance": 0, "updated_at": clock.now()})


def balance(session: Session, provider_id: int) -> int:
    return session.scalar(select(CreditWallet.balance).where(CreditWallet.provider_id == provider_id)) or 0


def balances(session: Session, provider_ids: Iterable[int]) -> dict[int, int]:
    """{provider id: balance} of many providers in one SELECT (0 without a wallet yet)."""
    ids = sorted(set(provider_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(CreditWallet.provider_id, CreditWallet.balance).where(CreditWallet.provider_id.in_(ids))
    )
    held = {provider_id: amount for provider_id, amount in rows}
    return {provider_id: held.get(provider_id) or 0 for provider_id in ids}


def ledger_sum(session: Session, provider_id: int) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(CreditEntry.provider_id == provider_id)
        )
        or 0
    )


def history(session: Session, provider_id: int, limit: int = 200) -> list[CreditEntry]:
    return list(
        session.scalars(
            select(CreditEntry)
            .where(CreditEntry.provider_id == provider_id)
            .order_by(CreditEntry.id.desc())
            .limit(limit)
        )
    )


def by_key(session: Session, key: str) -> CreditEntry | None:
    return session.scalar(select(CreditEntry).where(CreditEntry.idempotency_key == key))


def post(
    session: Session,
    provider_id: int,
    kind: str,
    amount: int,
    key: str,
    *,
    reference: str | None = None,
    note: str | None = None,
    created_by: int | None = None,
) -> Posted:
    """Append an entry (signed `amount`) and move the wallet; all or nothing.

    Raises InsufficientCredits (nothing written) if a debit would go below zero.

    Two statements, no SAVEPOINT: the entry's INSERT comes first and does nothing when its key
    was posted before (the unique key decides; on PostgreSQL a concurrent post of the same key
    waits for the first transaction, then does nothing), so a key is charged once. Then the
    wallet moves (`_move`), refusing a debit by touching no row, never by an error: a refused
    debit deletes the entry just inserted (uncommitted, so never seen by anyone). Any other
    error leaves the transaction to the caller's rollback, as any failed statement does.
    """
    now = clock.now()
    values = dict(
        provider_id=provider_id,
        kind=kind,
        amount=amount,
        idempotency_key=key,
        reference=reference,
        note=note,
        created_by=created_by,
        created_at=now,
    )
    inserted = insert_new(session, CreditEntry, [values], unique=["idempotency_key"])
    if not inserted:
        return Posted(_posted_before(session, key), False)
    if not _move(session, provider_id, amount, now):
        session.execute(delete(CreditEntry).where(CreditEntry.id == inserted[0]))
        raise InsufficientCredits(f"provider {provider_id} cannot pay {-amount}")
    return Posted(CreditEntry(id=inserted[0], **values), True)


def _posted_before(session: Session, key: str) -> CreditEntry:
    """The entry whose key made the INSERT do nothing (committed, or this transaction's own)."""
    existing = by_key(session, key)
    if existing is None:
        raise RuntimeError(f"credit key {key!r} conflicted without an entry")  # pragma: no cover
    return existing


def _move(session: Session, provider_id: int, amount: int, now: datetime) -> bool:
    """Add `amount` to the wallet unless the balance would go below zero; False when refused.

    A credit cannot overdraw: one upsert makes the wallet or moves it. A debit is the
    conditional UPDATE, which touches no row when the wallet is missing too: then the wallet is
    made (empty; ON CONFLICT DO NOTHING, as one made at the same moment by another transaction
    counts) and the UPDATE tried once more, which then sees it."""
    if amount > 0:
        _credit(session, provider_id, amount, now)
        return True
    if _add(session, provider_id, amount, now):
        return True
    ensure_wallet(session, provider_id)
    return _add(session, provider_id, amount, now)


def _credit(session: Session, provider_id: int, amount: int, now: datetime) -> None:
    """INSERT the wallet holding `amount`, or, when it exists, add `amount` to its balance."""
    statement = dialect_insert(session, CreditWallet).values(provider_id=provider_id, balance=amount, updated_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CreditWallet.provider_id],
            set_={"balance": CreditWallet.balance + amount, "updated_at": now},
        )
    )


def _add(session: Session, provider_id: int, amount: int, now: datetime) -> bool:
    moved = session.execute(
        update(CreditWallet)
        .where(CreditWallet.provider_id == provider_id, CreditWallet.balance + amount >= 0)
        .values(balance=CreditWallet.balance + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(moved) == 1


def grant(
    session: Session, provider_id: int, amount: int, key: str, *, note: str, created_by: int | None = None
) -> Posted:
    if amount <= 0:
        raise ValueError("a grant adds at least 1 credit")
    return post(session, provider_id, "grant", amount, key, reference="admin", note=note, created_by=created_by)


@dataclass(frozen=True)
class Granted:
    message: str
    created: bool  # False for a double submit that added nothing


def admin_grant(
    session: Session,
    admin,
    provider,
    raw_amount: str | None,
    note: str | None,
    form_key: str | None,
    ip: str | None = None,
) -> Granted:
    """An admin grants credits with a note: validated (Refusal naming the fields), keyed by the
    form's one-time key (a double submit grants once), and written to the audit log."""
    errors = {}
    raw = (raw_amount or "").strip()
    amount = int(raw) if raw.isdigit() else 0
    if not 1 <= amount <= 1000:
        errors["amount"] = "Amount: enter a whole number of credits from 1 to 1,000."
    note = (note or "").strip()
    if not note:
        errors["note"] = "Note: say why these credits are granted (shown to the provider)."
    elif len(note) > 500:
        errors["note"] = "Note: keep it under 500 characters."
    key = (form_key or "").strip()
    if not 16 <= len(key) <= 64:
        errors["grant_key"] = "The form expired; reload the page and try again."
    if errors:
        raise Refusal("Please fix the grant.", errors)
    posted = grant(session, provider.id, amount, f"grant:{provider.id}:{key}", note=note, created_by=admin.id)
    if not posted.created:
        return Granted("That grant was already recorded (submitted twice); nothing added.", created=False)
    audit.log(
        session,
        admin,
        "credits.grant",
        provider,
        f"Granted {amount} credits to {provider.name}: {note}",
        data={"amount": amount, "entry_id": posted.entry.id},
        ip=ip,
    )
    return Granted(f"Granted {amount} credits to {provider.name}.", created=True)
