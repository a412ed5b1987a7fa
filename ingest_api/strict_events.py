"""The strict path into the ingest API: the events almost every client sends, decoded and checked by
msgspec in C and encoded for Kafka at once, at about half the CPU of the pydantic path.

:class:`carbon_stream.events.EmissionEvent` stays the contract (OpenAPI, error messages, producers).
:class:`StrictEmission` mirrors it from the same constants but accepts a **subset**: every input it
accepts, EmissionEvent accepts too, with the same ``event_id`` and the same Kafka value bytes as
``EmissionEvent.to_wire_json()``. Anything else raises ValueError here, and ``ingest_api.validation``
hands the body to the pydantic path, which accepts it or lists every problem. So the accepted inputs
and every error answer are the contract's by construction, as long as the subset rule holds:
``tests/ingest_api/test_ingest_strict_events.py`` checks it differentially on a corpus of edge cases.

Where the subset is narrower than the contract, and why (each a measured difference):

- ``occurred_at``: RFC 3339 as clients write it (uppercase ``T`` and ``Z``, at most 6 fractional digits,
  ``±HH:MM``, ASCII digits), parsed by ``datetime.fromisoformat``. msgspec's own datetime rounds a 7th
  fractional digit where pydantic truncates (another instant, maybe another millisecond on the wire),
  and fromisoformat alone would take ``+01:60`` (as +02:00), ``+01:00:30``, ISO week dates or a space
  separator (which the wire text, cut from the input, would keep). Lowercase, ``HH:MM`` without
  seconds, unix timestamps and a local time not representable in UTC (year 1 at +01:00) are left to
  pydantic.
- ``co2e_kg``: JSON numbers only, decoded as the float pydantic sees and stored by the same
  :func:`validate_co2e_kg` (a Decimal decoded from the JSON text could round differently past 17
  digits); numeric strings are left to pydantic.
- ``event_id``: hyphenated or 32 hex digits (msgspec's UUID forms); braces and ``urn:uuid:`` are left to
  pydantic.
- Patterns end in ``\\Z``: msgspec applies ``re.search``, where ``$`` also matches before a final
  newline; pydantic's (Rust) ``$`` does not.

The same in both (checked by the tests, not narrowed): ``scope`` a JSON integer (not 1.0, true, "1");
lengths in code points; duplicate keys (the last wins) and escaped keys; explicit null for source and
attributes; and string escaping on the wire (msgspec's encoder and pydantic-core's agree on every code
point).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated

import msgspec
from msgspec import Meta

from carbon_stream.events import (
    ATTRIBUTE_KEY_MAX_LENGTH, ATTRIBUTE_VALUE_MAX_LENGTH, ATTRIBUTES_MAX_COUNT, CATEGORY_PATTERN, NO_NUL_PATTERN,
    ORG_ID_PATTERN, SCOPE_MAX, SCOPE_MIN, SOURCE_MAX_LENGTH, to_wire_timestamp, validate_co2e_kg,
)

__all__ = ["StrictEmission", "EncodedEmission", "decode_strict_event", "decode_strict_batch", "encode_strict"]


def _exact(pattern: str) -> str:
    """A contract pattern ``^...$`` as ``\\A...\\Z``: the same strings under ``re.search`` as under
    pydantic's Rust regex (where ``$`` is the end of the text, not also the place before a final newline)."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"not a ^...$ pattern: {pattern}")
    return rf"\A{pattern[1:-1]}\Z"


# Field ranges checked here (a day the month lacks: datetime.fromisoformat refuses it). [0-9], not \d:
# in Python \d is any Unicode digit.
_OCCURRED_AT_PATTERN = (
    r"\A[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z"
)
_NO_NUL = _exact(NO_NUL_PATTERN)
_AttributeKey = Annotated[str, Meta(min_length=1, max_length=ATTRIBUTE_KEY_MAX_LENGTH, pattern=_NO_NUL)]
_AttributeValue = Annotated[str, Meta(max_length=ATTRIBUTE_VALUE_MAX_LENGTH, pattern=_NO_NUL)]


# gc=False: instances hold only strings, numbers, a UUID and a dict of strings, never a cycle, so the
# garbage collector need not track the thousands a batch creates.
class StrictEmission(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One event as its JSON holds it, in the strict subset of :class:`EmissionEvent` (see the module)."""

    org_id: Annotated[str, Meta(pattern=_exact(ORG_ID_PATTERN))]
    occurred_at: Annotated[str, Meta(pattern=_OCCURRED_AT_PATTERN)]
    co2e_kg: float  # a JSON number (int too, as a float: exact below CO2E_KG_MAX); not a bool, not a string
    scope: Annotated[int, Meta(ge=SCOPE_MIN, le=SCOPE_MAX)]  # a JSON integer: not 1.0, true or "1"
    category: Annotated[str, Meta(pattern=_exact(CATEGORY_PATTERN))]
    event_id: uuid.UUID = msgspec.field(default_factory=uuid.uuid4)
    source: Annotated[str, Meta(max_length=SOURCE_MAX_LENGTH, pattern=_NO_NUL)] | None = None
    attributes: Annotated[dict[_AttributeKey, _AttributeValue], Meta(max_length=ATTRIBUTES_MAX_COUNT)] | None = None


class EncodedEmission(msgspec.Struct, frozen=True, gc=False):
    """A strict event with its Kafka value encoded: what the publisher, the routes and the event-time rule
    use of an event (``event_id``, ``org_id``, ``occurred_at``, ``to_wire_json()``), as EmissionEvent has."""

    event_id: uuid.UUID
    org_id: str
    occurred_at: datetime
    wire_json: bytes

    def to_wire_json(self) -> bytes:
        """The Kafka value, identical to ``EmissionEvent.to_wire_json()`` of the same input."""
        return self.wire_json


class _Wire(msgspec.Struct, omit_defaults=True, gc=False):
    """The fields of ``EmissionEvent.to_wire()`` in its order; source and attributes left out when None."""

    event_id: uuid.UUID
    org_id: str
    occurred_at: str
    co2e_kg: str
    scope: int
    category: str
    source: str | None = None
    attributes: dict[str, str] | None = None


_EVENT = msgspec.json.Decoder(StrictEmission)
_BATCH = msgspec.json.Decoder(list[StrictEmission])
_ENCODER = msgspec.json.Encoder()


def decode_strict_event(body: bytes) -> StrictEmission:
    """One JSON event object; ValueError (msgspec's DecodeError, ValidationError) outside the subset."""
    return _EVENT.decode(body)


def decode_strict_batch(body: bytes) -> list[StrictEmission]:
    """A JSON array of events in one msgspec call; ValueError when any of them is outside the subset."""
    return _BATCH.decode(body)


def _wire_timestamp(text: str, moment: datetime) -> str:
    """``to_wire_timestamp(moment)`` of ``moment = datetime.fromisoformat(text)``. Text in UTC (``Z``,
    ``±00:00``) already holds the wire digits: cut from it, at a fifth of the CPU of formatting."""
    if moment.tzinfo is not timezone.utc:
        return to_wire_timestamp(moment)
    offset_at = len(text) - (1 if text[-1] == "Z" else 6)  # "YYYY-MM-DDTHH:MM:SS" is text[:19]
    if offset_at >= 23:  # ".mmm" and maybe more digits, truncated like to_wire_timestamp
        return text[:23] + "Z"
    return text[:offset_at] + ".000"[offset_at - 19:] + "Z"  # pad: none → ".000", ".5" → ".500"


def encode_strict(event: StrictEmission) -> EncodedEmission:
    """The rules msgspec cannot state (``co2e_kg`` by :func:`validate_co2e_kg`, a real calendar day), then
    the Kafka value; ValueError when one fails."""
    moment = datetime.fromisoformat(event.occurred_at)
    try:
        timestamp = _wire_timestamp(event.occurred_at, moment)
    except OverflowError:  # 0001-01-01T00:00+01:00 is no UTC time; the pydantic path refuses it (event time)
        raise ValueError("occurred_at is outside the years 1 to 9999 in UTC") from None
    wire = _Wire(event.event_id, event.org_id, timestamp, str(validate_co2e_kg(event.co2e_kg)), event.scope,
                 event.category, event.source, event.attributes)
    return EncodedEmission(event.event_id, event.org_id, moment, _ENCODER.encode(wire))
