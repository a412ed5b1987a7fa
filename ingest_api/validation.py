"""Pure parsing and validation of request bodies into validated events (no I/O, no Kafka).

Two paths, one outcome. The strict path (``ingest_api.strict_events``, msgspec) takes the events almost
every client sends at about half the CPU; whatever it does not accept goes to the pydantic path
(:class:`EmissionEvent`, the contract), which accepts it or explains every problem. The strict path only
accepts what the contract accepts, with the same event_id and Kafka value, so the answer to a body does
not depend on the path. The event-time rule, the batch count (413) and the empty batch (422) are
checked here, the same for both.

Every problem is collected, not only the first: a client fixes a whole batch in one round trip.
Raises :class:`InputRejected` (422, or 413 for too many events); returns validated events otherwise.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import pydantic_core
from pydantic import TypeAdapter, ValidationError

from carbon_stream.events import EmissionEvent, event_time_bounds, event_time_problem
from carbon_stream.settings import Settings
from ingest_api.errors import InputRejected, body_rejected, error_items
from ingest_api.publisher import ValidatedEvent
from ingest_api.schemas import ErrorItem, SeedEmissionIn
from ingest_api.strict_events import (
    EncodedEmission, StrictEmission, decode_strict_batch, decode_strict_event, encode_strict,
)

__all__ = ["SEED_CATEGORY", "SEED_SOURCE", "parse_event", "parse_json_batch", "parse_ndjson_batch", "parse_seed"]

SEED_CATEGORY = "unspecified"
SEED_SOURCE = "seed-compat POST /emissions"
_SEED_FIELD_NAMES = {"org_id": "organizationId", "co2e_kg": "value"}
_EVENTS = TypeAdapter(list[EmissionEvent])


def _event_time_item(event: ValidatedEvent, received_at: datetime, settings: Settings,
                     index: int | None = None) -> ErrorItem | None:
    reason = event_time_problem(
        event.occurred_at, received_at,
        horizon_days=settings.correction_horizon_days, max_future_skew_s=settings.max_future_skew_s,
    )
    if reason is None:
        return None
    loc: list[str | int] = ["body", "occurred_at"] if index is None else ["body", index, "occurred_at"]
    return ErrorItem(loc=loc, field="occurred_at", msg=reason, index=index)


def _strict_event(body: bytes) -> EncodedEmission | None:
    """The event by the strict path, or None when it is outside the strict subset."""
    try:
        return encode_strict(decode_strict_event(body))
    except ValueError:  # msgspec's DecodeError and ValidationError are ValueErrors, as are the rules' failures
        return None


def parse_event(body: bytes, received_at: datetime, settings: Settings) -> ValidatedEvent:
    """One event from a JSON object: the contract, then the event-time rule (horizon, future skew)."""
    event: ValidatedEvent | None = _strict_event(body)
    if event is None:  # the contract decides, and explains
        try:
            event = EmissionEvent.model_validate_json(body)
        except ValidationError as exc:
            raise InputRejected(422, error_items(exc.errors())) from None
    problem = _event_time_item(event, received_at, settings)
    if problem is not None:
        raise InputRejected(422, [problem])
    return event


def _check_count(count: int, settings: Settings) -> None:
    if count > settings.batch_max_events:
        msg = f"batch has {count} events; the maximum is {settings.batch_max_events} (split it)"
        raise body_rejected(413, msg)
    if count == 0:
        raise body_rejected(422, "batch has no events")


def _item_problems(indexed_items: Iterable[tuple[int, object]], received_at: datetime,
                   settings: Settings) -> list[ErrorItem]:
    """Every problem of every item, by index: contract first, then the event-time rule."""
    problems: list[ErrorItem] = []
    for index, item in indexed_items:
        try:
            event = EmissionEvent.model_validate(item)
        except ValidationError as exc:
            problems += error_items(exc.errors(), prefix=("body", index), index=index)
            continue
        problem = _event_time_item(event, received_at, settings, index)
        if problem is not None:
            problems.append(problem)
    return problems


def _checked_event_times(events: Sequence[ValidatedEvent], received_at: datetime,
                         settings: Settings) -> Sequence[ValidatedEvent]:
    """The event-time rule over a whole batch: the accepted range once, one comparison per event; the
    reason is worded (by ``event_time_problem``, as for a single event) only for the events outside."""
    earliest, latest = event_time_bounds(received_at, settings.correction_horizon_days, settings.max_future_skew_s)
    outside = [index for index, event in enumerate(events) if not earliest <= event.occurred_at <= latest]
    if outside:
        raise InputRejected(422, [_event_time_item(events[index], received_at, settings, index) for index in outside])
    return events


def _strict_batch(decode: Callable[[], list[StrictEmission]], settings: Settings) -> list[EncodedEmission] | None:
    """The batch by the strict path, or None when any event is outside the strict subset. The count is
    checked before anything is encoded: a batch over the limit is not worth encoding."""
    try:
        events = decode()
    except ValueError:  # msgspec's DecodeError and ValidationError are ValueErrors
        return None
    _check_count(len(events), settings)
    try:
        return [encode_strict(event) for event in events]
    except ValueError:  # co2e_kg or a calendar day outside the rules: the contract explains which
        return None


def _validate_batch(items: list[object], received_at: datetime, settings: Settings) -> Sequence[ValidatedEvent]:
    try:
        events = _EVENTS.validate_python(items)  # the common case: one call for the whole batch
    except ValidationError:
        raise InputRejected(422, _item_problems(enumerate(items), received_at, settings)) from None
    return _checked_event_times(events, received_at, settings)


def parse_json_batch(body: bytes, received_at: datetime, settings: Settings) -> Sequence[ValidatedEvent]:
    """A JSON array of events, validated whole (422 lists every bad item) or 413 beyond the count."""
    strict = _strict_batch(lambda: decode_strict_batch(body), settings)  # the common case: one msgspec call
    if strict is not None:
        return _checked_event_times(strict, received_at, settings)
    try:
        events = _EVENTS.validate_json(body)  # valid outside the strict subset (say, co2e_kg as strings)?
    except ValidationError:
        pass  # not an array of valid events: find every problem below
    else:
        _check_count(len(events), settings)
        return _checked_event_times(events, received_at, settings)
    try:
        items = pydantic_core.from_json(body)
    except ValueError as exc:
        raise body_rejected(422, f"Invalid JSON: {exc}") from None
    if not isinstance(items, list):
        raise body_rejected(422, "must be a JSON array of events (or NDJSON with Content-Type application/x-ndjson)")
    _check_count(len(items), settings)
    return _validate_batch(items, received_at, settings)


def parse_ndjson_batch(body: bytes, received_at: datetime, settings: Settings) -> Sequence[ValidatedEvent]:
    """One JSON event per line; blank lines are skipped, so ``index`` counts events, not lines."""
    lines = [line for line in body.split(b"\n") if line.strip()]
    _check_count(len(lines), settings)
    strict = _strict_batch(lambda: [decode_strict_event(line) for line in lines], settings)
    if strict is not None:
        return _checked_event_times(strict, received_at, settings)
    items: dict[int, object] = {}
    malformed: list[ErrorItem] = []
    for index, line in enumerate(lines):
        try:
            items[index] = pydantic_core.from_json(line)
        except ValueError as exc:
            malformed.append(ErrorItem(loc=["body", index], field="body", msg=f"Invalid JSON: {exc}", index=index))
    if malformed:
        problems = malformed + _item_problems(items.items(), received_at, settings)
        raise InputRejected(422, sorted(problems, key=lambda problem: problem.index))
    return _validate_batch(list(items.values()), received_at, settings)


def parse_seed(body: bytes, received_at: datetime) -> tuple[SeedEmissionIn, EmissionEvent]:
    """The older system's body → an EmissionEvent received now (scope default: SEED_DEFAULT_SCOPE).

    Problems name the older system's fields (``organizationId``, ``value``), not the contract's.
    """
    try:
        seed = SeedEmissionIn.model_validate_json(body)
        event = EmissionEvent(
            event_id=uuid.uuid4(), org_id=str(seed.organizationId), occurred_at=received_at,
            co2e_kg=seed.value, scope=seed.scope, category=SEED_CATEGORY, source=SEED_SOURCE,
        )
    except ValidationError as exc:
        renamed = [{**error, "loc": tuple(_SEED_FIELD_NAMES.get(str(part), part) for part in error["loc"])}
                   for error in exc.errors()]
        raise InputRejected(422, error_items(renamed)) from None
    return seed, event
