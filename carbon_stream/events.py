"""The emission event contract, shared by the ingest API, the producers and the Flink job.

An emission event says: organisation ``org_id`` emitted ``co2e_kg`` kilograms of CO2-equivalent at
``occurred_at``, in GHG Protocol ``scope`` 1, 2 or 3, under ``category`` (a lowercase slug such as
``purchased_electricity``). On Kafka the event is the JSON of :meth:`EmissionEvent.to_wire`:
``occurred_at`` in UTC with millisecond precision (``2026-11-23T09:00:00.123Z``) and ``co2e_kg`` as a
decimal number with at most 6 decimals (1 mg). The Flink job re-validates every record with the same
patterns (it also reads records that did not come through the API).
"""
from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidatorFunctionWrapHandler, field_validator
from pydantic_core import SchemaSerializer, core_schema

__all__ = [
    "ORG_ID_PATTERN", "CATEGORY_PATTERN", "UUID_PATTERN", "NO_NUL_PATTERN", "CO2E_KG_MAX", "CO2E_KG_DECIMALS",
    "SCOPE_MIN", "SCOPE_MAX", "SOURCE_MAX_LENGTH", "ATTRIBUTES_MAX_COUNT", "ATTRIBUTE_KEY_MAX_LENGTH",
    "ATTRIBUTE_VALUE_MAX_LENGTH",
    "EmissionEvent", "event_time_bounds", "event_time_problem", "quantize_co2e_kg", "to_wire_timestamp",
    "validate_co2e_kg",
]

ORG_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CO2E_KG_MAX = Decimal("999999999999.999999")  # the largest NUMERIC(18,6) (~1 Gt CO2e): larger is a unit error
CO2E_KG_DECIMALS = 6  # 1 mg resolution; matches NUMERIC(18,6) in PostgreSQL
_CO2E_QUANTUM = Decimal(1).scaleb(-CO2E_KG_DECIMALS)

NO_NUL_PATTERN = r"^[^\x00]*$"  # U+0000 cannot be stored in PostgreSQL text
SCOPE_MIN, SCOPE_MAX = 1, 3  # GHG Protocol scopes
SOURCE_MAX_LENGTH = 128
ATTRIBUTES_MAX_COUNT = 20
ATTRIBUTE_KEY_MAX_LENGTH = 64
ATTRIBUTE_VALUE_MAX_LENGTH = 256
AttributeKey = Annotated[str, Field(min_length=1, max_length=ATTRIBUTE_KEY_MAX_LENGTH, pattern=NO_NUL_PATTERN)]
AttributeValue = Annotated[str, Field(max_length=ATTRIBUTE_VALUE_MAX_LENGTH, pattern=NO_NUL_PATTERN)]


def quantize_co2e_kg(value: float | Decimal | str) -> Decimal:
    """Round a mass in kg CO2e to the stored resolution (6 decimals, banker's rounding)."""
    # rounding passed positionally: as a keyword it costs ~90 ns more per call, and this runs once per event.
    return Decimal(str(value)).quantize(_CO2E_QUANTUM, ROUND_HALF_EVEN)


def validate_co2e_kg(value: Any) -> Decimal:
    """The stored amount of a ``co2e_kg`` input: :func:`quantize_co2e_kg` of a number (or numeric string)
    that is finite, >= 0 and <= CO2E_KG_MAX once quantized; ValueError with the reason otherwise.

    The one rule for both ways into the ingest API: :class:`EmissionEvent`'s validator gets a JSON number
    as the float (or int) pydantic parsed, and ``ingest_api.strict_events`` decodes it as the same float,
    so both store the same Decimal (a JSON number decoded straight into a Decimal could round differently).
    """
    # JSON numbers arrive as exact floats: the common case costs one type check here.
    if type(value) is not float and (isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str))):
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be finite")
    try:
        amount = quantize_co2e_kg(value)
    except ArithmeticError:
        raise ValueError("must be a finite decimal number") from None
    if not amount.is_finite():
        raise ValueError("must be finite")
    if amount < 0:
        raise ValueError("must be >= 0")
    if amount > CO2E_KG_MAX:
        raise ValueError(f"must be <= {CO2E_KG_MAX} kg (larger is a unit error)")
    return amount


def to_wire_timestamp(moment: datetime) -> str:
    """UTC RFC 3339 with milliseconds, e.g. ``2026-11-23T09:00:00.123Z`` (sub-ms is truncated)."""
    utc = moment.astimezone(timezone.utc)
    # One %-format: about half the CPU of strftime plus an f-string, and this runs once per event.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond // 1000)


class EmissionEvent(BaseModel):
    """One emission, as POSTed to ``/v1/emissions`` (see the README's event contract)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Idempotency key: a retried POST with the same event_id is counted once. Generated if absent.",
    )
    org_id: str = Field(pattern=ORG_ID_PATTERN, description="Organisation id (1-64 chars: letters, digits, _ . : -)")
    occurred_at: AwareDatetime = Field(description="When the emission happened: RFC 3339 with offset")
    co2e_kg: float | Decimal = Field(description="Mass of CO2-equivalent in kg: finite, >= 0, 6 decimals kept")
    scope: StrictInt = Field(ge=SCOPE_MIN, le=SCOPE_MAX, description="GHG Protocol scope: 1, 2 or 3")
    category: str = Field(pattern=CATEGORY_PATTERN, description="Lowercase slug, e.g. purchased_electricity")
    source: str | None = Field(None, max_length=SOURCE_MAX_LENGTH, pattern=NO_NUL_PATTERN,
                               description="Free text: system or document of origin (no U+0000)")
    attributes: dict[AttributeKey, AttributeValue] | None = Field(
        None, max_length=ATTRIBUTES_MAX_COUNT, description="Up to 20 string key/value pairs (no U+0000)"
    )

    # Wrap without calling the handler: the returned Decimal is final, not validated again against the
    # float | Decimal union (that cost more than this check). The union stays the field's schema.
    @field_validator("co2e_kg", mode="wrap")
    @classmethod
    def _co2e_kg_is_finite_and_in_range(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Decimal:
        return validate_co2e_kg(value)

    def to_wire(self) -> dict[str, Any]:
        """The Kafka JSON payload as a dict (occurred_at normalised to UTC, co2e_kg exact); source and
        attributes only when set."""
        return _WIRE.to_python(self.__dict__, mode="json", exclude_none=True)

    def to_wire_json(self) -> bytes:
        """The Kafka value: compact UTF-8 JSON of :meth:`to_wire`, in one pydantic-core call."""
        return _WIRE.to_json(self.__dict__, exclude_none=True)


def _wire_serializer() -> SchemaSerializer:
    """The wire form of an EmissionEvent's fields (its ``__dict__``): event_id and co2e_kg as strings,
    occurred_at through :func:`to_wire_timestamp`, the rest as they are. pydantic-core walks the fields
    itself; only the timestamp is formatted in Python (~2x cheaper than building the dict in Python and
    encoding it). A typed dict, not the model: a model schema would reuse the model's own serializer."""
    optional = core_schema.nullable_schema
    fields = {
        "event_id": core_schema.uuid_schema(),
        "org_id": core_schema.str_schema(),
        "occurred_at": core_schema.datetime_schema(
            serialization=core_schema.plain_serializer_function_ser_schema(to_wire_timestamp)),
        "co2e_kg": core_schema.decimal_schema(),
        "scope": core_schema.int_schema(),
        "category": core_schema.str_schema(),
        "source": optional(core_schema.str_schema()),
        "attributes": optional(core_schema.dict_schema(core_schema.str_schema(), core_schema.str_schema())),
    }
    return SchemaSerializer(core_schema.typed_dict_schema(
        {name: core_schema.typed_dict_field(schema) for name, schema in fields.items()}))


_WIRE = _wire_serializer()


def event_time_bounds(received_at: datetime, horizon_days: int, max_future_skew_s: int) -> tuple[datetime, datetime]:
    """The accepted ``occurred_at`` range at ``received_at``, both ends inclusive:
    ``(received_at - horizon_days, received_at + max_future_skew_s)``. A batch computes it once."""
    return received_at - timedelta(days=horizon_days), received_at + timedelta(seconds=max_future_skew_s)


def event_time_problem(
    occurred_at: datetime, received_at: datetime, horizon_days: int, max_future_skew_s: int
) -> str | None:
    """Why ``occurred_at`` is not acceptable at ``received_at``, or None when it is.

    Accepted: ``received_at - horizon_days <= occurred_at <= received_at + max_future_skew_s``.
    Older events can no longer correct their aggregates (the Flink state has expired).
    """
    earliest, latest = event_time_bounds(received_at, horizon_days, max_future_skew_s)
    if occurred_at > latest:
        return f"is more than {max_future_skew_s} s in the future"
    if occurred_at < earliest:
        return f"is older than the correction horizon of {horizon_days} days"
    return None
