"""Pure parsing/validation of ingest bodies: no app, no broker."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from pydantic import ValidationError

from carbon_stream.events import CO2E_KG_MAX, EmissionEvent, event_time_problem
from carbon_stream.settings import Settings
from ingest_api.errors import InputRejected, error_items
from ingest_api.publisher import ValidatedEvent
from ingest_api.schemas import SEED_DEFAULT_SCOPE, ErrorItem
from ingest_api.validation import (
    SEED_CATEGORY, parse_event, parse_json_batch, parse_ndjson_batch, parse_seed,
)
from tests.utils.ingest_events import event_body, ndjson

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
SETTINGS = Settings(batch_max_events=5, correction_horizon_days=35, max_future_skew_s=300)


def _rejected(call, *args) -> InputRejected:
    with pytest.raises(InputRejected) as caught:
        call(*args)
    return caught.value


def _body(**overrides) -> bytes:
    return json.dumps(event_body(**{"occurred_at": (NOW - timedelta(hours=1)).isoformat(), **overrides})).encode()


def test_parse_event_valid_keeps_fields_and_quantizes_co2e_kg():
    event = parse_event(_body(co2e_kg=0.1234567, org_id="acme"), NOW, SETTINGS)
    assert event.org_id == "acme"
    assert json.loads(event.to_wire_json())["co2e_kg"] == "0.123457"


def test_parse_event_generates_event_id_when_absent():
    assert parse_event(_body(event_id=None), NOW, SETTINGS).event_id is not None


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"co2e_kg": -1}, "co2e_kg", ">= 0"),
        ({"co2e_kg": "NaN"}, "co2e_kg", "finite"),
        ({"co2e_kg": True}, "co2e_kg", "number"),
        ({"co2e_kg": 1e13}, "co2e_kg", "unit error"),
        ({"scope": 4}, "scope", "less than or equal to 3"),
        ({"scope": "1"}, "scope", "integer"),
        ({"category": "Business Travel"}, "category", "pattern"),
        ({"org_id": ""}, "org_id", "pattern"),
        ({"occurred_at": "2026-11-23T08:00:00"}, "occurred_at", "timezone"),
        ({"event_id": "not-a-uuid"}, "event_id", "UUID"),
        ({"attributes": {"k": 1}}, "attributes", "string"),
        ({"source": "meter\x00"}, "source", "pattern"),  # U+0000: PostgreSQL text cannot hold it
        ({"attributes": {"k": "v\x00"}}, "attributes", "pattern"),
        ({"unexpected": 1}, "unexpected", "not permitted"),
        ({"org_id": None}, "org_id", "required"),
    ],
)
def test_parse_event_invalid_names_field_and_reason(overrides, field, reason):
    problems = _rejected(parse_event, _body(**overrides), NOW, SETTINGS).problems
    assert [(p.field, reason.lower() in p.msg.lower()) for p in problems] == [(field, True)]
    assert problems[0].loc[:2] == ["body", field]


def test_parse_event_older_than_horizon_names_the_horizon():
    old = (NOW - timedelta(days=35, seconds=1)).isoformat()
    rejected = _rejected(parse_event, _body(occurred_at=old), NOW, SETTINGS)
    assert rejected.status_code == 422
    assert rejected.problems[0].field == "occurred_at"
    assert "correction horizon of 35 days" in rejected.problems[0].msg


def test_parse_event_too_far_in_future_is_refused_within_skew_accepted():
    assert parse_event(_body(occurred_at=(NOW + timedelta(seconds=299)).isoformat()), NOW, SETTINGS)
    problem = _rejected(parse_event, _body(occurred_at=(NOW + timedelta(seconds=301)).isoformat()), NOW, SETTINGS)
    assert (problem.problems[0].field, "300 s in the future" in problem.problems[0].msg) == ("occurred_at", True)


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe{}", b"[]", b"42", b'"x"', b"null"])
def test_parse_event_malformed_body_is_422_on_body(body):
    rejected = _rejected(parse_event, body, NOW, SETTINGS)
    assert rejected.status_code == 422
    assert rejected.problems[0].field == "body"


def test_parse_json_batch_lists_every_bad_item_with_index():
    items = [event_body(), event_body(co2e_kg=-1, scope=9), event_body(),
             event_body(occurred_at=(NOW - timedelta(days=40)).isoformat())]
    for item in items[::2]:
        item["occurred_at"] = NOW.isoformat()
    problems = _rejected(parse_json_batch, json.dumps(items).encode(), NOW, SETTINGS).problems
    assert sorted((p.index, p.field) for p in problems) == [(1, "co2e_kg"), (1, "scope"), (3, "occurred_at")]
    assert all(p.loc[:2] == ["body", p.index] for p in problems)


def test_parse_json_batch_valid_keeps_order():
    items = [event_body(org_id=f"org-{i}", occurred_at=NOW.isoformat()) for i in range(5)]
    events = parse_json_batch(json.dumps(items).encode(), NOW, SETTINGS)
    assert [event.org_id for event in events] == [f"org-{i}" for i in range(5)]


@pytest.mark.parametrize(("body", "status"), [
    (json.dumps([event_body()] * 6).encode(), 413),
    (b"[]", 422),
    (b'{"org_id": "x"}', 422),
    (b"[1, 2", 422),
])
def test_parse_json_batch_count_and_shape(body, status):
    assert _rejected(parse_json_batch, body, NOW, SETTINGS).status_code == status


def test_parse_ndjson_batch_skips_blank_lines_and_indexes_events():
    items = [event_body(occurred_at=NOW.isoformat()) for _ in range(3)]
    body = b"\n" + ndjson(items[:2]) + b"\r\n\n" + ndjson(items[2:])
    assert [str(e.event_id) for e in parse_ndjson_batch(body, NOW, SETTINGS)] == [i["event_id"] for i in items]


def test_parse_ndjson_batch_reports_malformed_and_invalid_lines():
    body = ndjson([event_body(occurred_at=NOW.isoformat())]) + b"{oops\n" + ndjson([event_body(scope=0)])
    problems = _rejected(parse_ndjson_batch, body, NOW, SETTINGS).problems
    assert [(p.index, p.field) for p in problems] == [(1, "body"), (2, "scope")]


def test_parse_ndjson_batch_over_count_is_413():
    assert _rejected(parse_ndjson_batch, ndjson([event_body()] * 6), NOW, SETTINGS).status_code == 413


def test_parse_seed_maps_the_older_body():
    seed, event = parse_seed(b'{"organizationId": 1, "value": 100}', NOW)
    assert (event.org_id, event.co2e_kg, event.occurred_at) == ("1", Decimal("100.000000"), NOW)
    assert (event.scope, event.category) == (SEED_DEFAULT_SCOPE, SEED_CATEGORY)
    assert seed.organizationId == 1


def test_parse_seed_optional_scope_and_extra_fields_ignored():
    _, event = parse_seed(b'{"organizationId": "acme", "value": 2.5, "scope": 3, "note": "x"}', NOW)
    assert (event.org_id, event.scope) == ("acme", 3)


@pytest.mark.parametrize(("body", "field"), [
    (b'{"value": 1}', "organizationId"),
    (b'{"organizationId": 1, "value": -5}', "value"),
    (b'{"organizationId": 1, "value": "lots"}', "value"),
    (b'{"organizationId": 1, "value": 1, "scope": 7}', "scope"),
])
def test_parse_seed_problems_use_the_older_field_names(body, field):
    assert [p.field for p in _rejected(parse_seed, body, NOW).problems] == [field]


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=20,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | _JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_parsers_refuse_anything_invalid_with_input_rejected_only(body):
    """Bad input is a 4xx, never an unexpected exception (which would be a 500)."""
    for parse in (parse_event, parse_json_batch, parse_ndjson_batch):
        try:
            parse(body, NOW, SETTINGS)
        except InputRejected as rejected:
            assert rejected.status_code in (413, 422) and rejected.problems


@given(st.decimals(min_value=0, max_value=CO2E_KG_MAX - Decimal("0.000001"), allow_nan=False, places=9))
def test_parse_event_accepts_any_non_negative_co2e_kg_and_keeps_6_decimals(amount):
    event = parse_event(_body(co2e_kg=str(amount)), NOW, SETTINGS)
    assert event.to_wire()["co2e_kg"] == str(amount.quantize(Decimal("0.000001")))


# ----- the batch fast paths (strict msgspec, one pydantic-core pass; one time range) = the per-item rules -

def _comparable(events: Sequence[ValidatedEvent], items: list) -> list[dict]:
    """Events as their Kafka values; a generated event_id (random) compares as "generated"."""
    return [{**json.loads(event.to_wire_json()), **({} if "event_id" in item else {"event_id": "generated"})}
            for event, item in zip(events, items, strict=True)]


def _detailed(items: list, now: datetime, settings: Settings) -> list[dict]:
    """The batch rules item by item, as a single event is checked: the accepted events, or every
    problem of every bad item (as error dicts). The oracle of the fast path."""
    events, problems = [], []
    for index, item in enumerate(items):
        try:
            event = EmissionEvent.model_validate(item)
        except ValidationError as exc:
            problems += error_items(exc.errors(), prefix=("body", index), index=index)
            continue
        reason = event_time_problem(event.occurred_at, now, horizon_days=settings.correction_horizon_days,
                                    max_future_skew_s=settings.max_future_skew_s)
        if reason is not None:
            problems.append(ErrorItem(loc=["body", index, "occurred_at"], field="occurred_at", msg=reason, index=index))
        events.append(event)
    return [problem.model_dump() for problem in problems] if problems else _comparable(events, items)


def _outcome(parse, body: bytes, items: list) -> list[dict]:
    try:
        return _comparable(parse(body, NOW, SETTINGS), items)
    except InputRejected as rejected:
        assert rejected.status_code == 422
        return [problem.model_dump() for problem in rejected.problems]


_OFFSETS = st.sampled_from([timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-9, minutes=-30))])


def _occurred_at(earliest: timedelta, latest: timedelta) -> st.SearchStrategy[str]:
    """RFC 3339 strings NOW + [earliest, latest] in several offsets."""
    return st.builds(lambda delta, tz: (NOW + delta).astimezone(tz).isoformat(),
                     st.timedeltas(min_value=earliest, max_value=latest), _OFFSETS)


_NO_NUL = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
_GOOD_VALUES = st.one_of(
    st.tuples(st.just("occurred_at"), _occurred_at(timedelta(days=-35), timedelta(seconds=300))),
    st.tuples(st.just("co2e_kg"), st.floats(min_value=0, max_value=1e12) | st.integers(0, 10**12)
              | st.decimals(min_value=0, max_value=10**12, places=8, allow_nan=False).map(str)),
    st.tuples(st.just("source"), st.text(_NO_NUL, max_size=128)),
    st.tuples(st.just("attributes"), st.dictionaries(st.text(_NO_NUL, min_size=1, max_size=64),
                                                     st.text(_NO_NUL, max_size=20), max_size=20)),
    st.tuples(st.just("event_id"), st.none()),  # absent: generated
)
_BAD_VALUES = st.one_of(
    st.tuples(st.just("occurred_at"), _occurred_at(timedelta(days=-40), timedelta(days=-35, microseconds=-1))
              | _occurred_at(timedelta(seconds=300, microseconds=1), timedelta(days=1))
              | st.sampled_from(["2026-11-23T08:00:00", "2026-11-23", "not a date", 5])),
    *(st.tuples(st.just(field), st.sampled_from(values)) for field, values in {
        "event_id": ["not-a-uuid", 1],
        "org_id": ["", "-x", "x" * 65, 5, None],
        "co2e_kg": [-1, -0.000001, "NaN", "inf", "1e400", "abc", True, None, [1], 1e13, 1e30, "1e30"],
        "scope": [0, 4, "1", 1.0, True],
        "category": ["Business Travel", ""],
        "source": ["s" * 129, 1, "a\x00b"],
        "attributes": [{"k": 1}, {str(i): "v" for i in range(21)}, {"": "v"}, [], {"k": "\x00"}, {"\x00": "v"}],
        "unexpected": [1],
    }.items()),
)


def _item(overrides: list[tuple[str, object]]) -> dict:
    return event_body(**{"occurred_at": NOW.isoformat(), **dict(overrides)})


_VALID_ITEMS = st.lists(_GOOD_VALUES, max_size=4).map(_item)
_ANY_ITEMS = st.lists(_GOOD_VALUES | _BAD_VALUES, max_size=3).map(_item) | st.sampled_from([1, "x", None, [], {}])
_BATCH_SIZE = {"min_size": 1, "max_size": SETTINGS.batch_max_events}


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(_VALID_ITEMS, **_BATCH_SIZE) | st.lists(_ANY_ITEMS, **_BATCH_SIZE))
def test_parse_batches_equal_the_per_item_rules(items):
    """Same accepted events, same 422 bodies (index, loc, field, reason of every problem, in order) as
    checking every item on its own: for a JSON array and for NDJSON."""
    expected = _detailed(items, NOW, SETTINGS)
    for parse, body in ((parse_json_batch, json.dumps(items).encode()), (parse_ndjson_batch, ndjson(items))):
        assert _outcome(parse, body, items) == expected


@pytest.mark.parametrize(("delta", "accepted"), [
    (timedelta(days=-35), True), (timedelta(days=-35, microseconds=-1), False),
    (timedelta(seconds=300), True), (timedelta(seconds=300, microseconds=1), False),
])
@pytest.mark.parametrize("tz", [timezone.utc, timezone(timedelta(hours=-5))])
def test_parse_json_batch_event_time_range_is_inclusive_in_any_offset(delta, accepted, tz):
    items = [event_body(occurred_at=NOW.isoformat()), event_body(occurred_at=(NOW + delta).astimezone(tz).isoformat())]
    outcome = _outcome(parse_json_batch, json.dumps(items).encode(), items)
    assert outcome == _detailed(items, NOW, SETTINGS)
    assert ("msg" not in outcome[0]) is accepted
