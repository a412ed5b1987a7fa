"""Credit batches and their lifecycle PENDING → ISSUED → RETIRED with an append-only audit trail.

A batch is immutable: a transition returns a new batch whose audit trail is the old one plus one
entry (who, when, from, to, why). Only PENDING → ISSUED and ISSUED → RETIRED are legal; anything
else raises :class:`IllegalCreditTransition`. Entries must be in time order, and a trail loaded
from JSON is re-validated, so an edited history is refused on load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from mrv.credits import CreditAssessment

__all__ = [
    "AuditEntry",
    "CreditBatch",
    "CreditIneligibleError",
    "CreditState",
    "IllegalCreditTransition",
    "create_credit_batch",
    "transition_credit_batch",
]


class CreditState(str, Enum):
    PENDING = "PENDING"
    ISSUED = "ISSUED"
    RETIRED = "RETIRED"


ALLOWED_TRANSITIONS: dict[CreditState | None, frozenset[CreditState]] = {
    None: frozenset({CreditState.PENDING}),
    CreditState.PENDING: frozenset({CreditState.ISSUED}),
    CreditState.ISSUED: frozenset({CreditState.RETIRED}),
    CreditState.RETIRED: frozenset(),
}


class IllegalCreditTransition(ValueError):
    """A lifecycle transition that the rules do not allow."""


class CreditIneligibleError(ValueError):
    """A batch was requested for an assessment that allows no credits."""


@dataclass(frozen=True)
class AuditEntry:
    """One state change: who, when (timezone-aware), from which state to which, and why."""

    actor: str
    at: dt.datetime
    from_state: CreditState | None
    to_state: CreditState
    reason: str

    def to_dict(self) -> dict:
        return {"actor": self.actor, "at": self.at.isoformat(),
                "from_state": self.from_state.value if self.from_state else None,
                "to_state": self.to_state.value, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict) -> "AuditEntry":
        return cls(d["actor"], dt.datetime.fromisoformat(d["at"]),
                   CreditState(d["from_state"]) if d["from_state"] else None,
                   CreditState(d["to_state"]), d["reason"])


@dataclass(frozen=True)
class CreditBatch:
    """Whole-tonne credits of one building and vintage; state is the last audit entry's."""

    batch_id: str
    building_id: str
    vintage: int
    quantity_t: Decimal
    audit_trail: tuple[AuditEntry, ...]

    def __post_init__(self) -> None:
        _validate_trail(self.audit_trail)
        if self.quantity_t <= 0 or self.quantity_t != self.quantity_t.to_integral_value():
            raise ValueError(f"batch {self.batch_id}: quantity must be a positive whole number of tonnes")

    @property
    def state(self) -> CreditState:
        return self.audit_trail[-1].to_state

    def to_dict(self) -> dict:
        return {"batch_id": self.batch_id, "building_id": self.building_id, "vintage": self.vintage,
                "quantity_t": str(self.quantity_t), "state": self.state.value,
                "audit_trail": [e.to_dict() for e in self.audit_trail]}

    @classmethod
    def from_dict(cls, d: dict) -> "CreditBatch":
        return cls(d["batch_id"], d["building_id"], d["vintage"], Decimal(d["quantity_t"]),
                   tuple(AuditEntry.from_dict(e) for e in d["audit_trail"]))


def create_credit_batch(
    assessment: CreditAssessment, batch_id: str, actor: str, at: dt.datetime, reason: str
) -> CreditBatch:
    """A PENDING batch of ``assessment.issuable_credits_t``; refused if nothing is issuable."""
    if not assessment.eligible or assessment.issuable_credits_t <= 0:
        raise CreditIneligibleError(
            f"no credits for {assessment.building_id or 'building'} {assessment.vintage}: "
            f"{[f.name for f in assessment.ineligibility_reasons] or 'issuable quantity is 0 t'}")
    entry = _entry(actor, at, None, CreditState.PENDING, reason)
    return CreditBatch(batch_id, assessment.building_id, assessment.vintage,
                       assessment.issuable_credits_t, (entry,))


def transition_credit_batch(
    batch: CreditBatch, to_state: CreditState, actor: str, at: dt.datetime, reason: str
) -> CreditBatch:
    """Return ``batch`` moved to ``to_state`` with one more audit entry (the original is unchanged)."""
    if to_state not in ALLOWED_TRANSITIONS[batch.state]:
        raise IllegalCreditTransition(
            f"batch {batch.batch_id}: {batch.state.value} -> {to_state.value} is not allowed "
            f"(allowed: {sorted(s.value for s in ALLOWED_TRANSITIONS[batch.state]) or 'none'})")
    entry = _entry(actor, at, batch.state, to_state, reason)
    return CreditBatch(batch.batch_id, batch.building_id, batch.vintage, batch.quantity_t,
                       batch.audit_trail + (entry,))


def _entry(actor: str, at: dt.datetime, from_state, to_state: CreditState, reason: str) -> AuditEntry:
    if not actor.strip() or not reason.strip():
        raise ValueError("an audit entry needs an actor and a reason")
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return AuditEntry(actor, at, from_state, to_state, reason)


def _validate_trail(trail: tuple[AuditEntry, ...]) -> None:
    """The trail must start at PENDING, follow legal transitions, and be in time order."""
    if not trail:
        raise IllegalCreditTransition("a credit batch needs at least its PENDING entry")
    previous_state, previous_at = None, None
    for entry in trail:
        if entry.from_state != previous_state or entry.to_state not in ALLOWED_TRANSITIONS[previous_state]:
            raise IllegalCreditTransition(
                f"audit trail breaks the lifecycle at {entry.from_state} -> {entry.to_state.value}")
        if previous_at is not None and entry.at < previous_at:
            raise IllegalCreditTransition("audit trail entries are not in time order")
        previous_state, previous_at = entry.to_state, entry.at
