"""The strict path (msgspec) against the contract (pydantic), differentially: whatever the strict path
accepts, EmissionEvent accepts with the same event_id and the same Kafka value bytes; and the parse
functions answer every body (events published, or 413/422 with every problem) exactly as the pydantic
path alone does. Corpus: tests/utils/event_corpus.py (each field's edges, the known traps, random byte
mutations). No app, no broker.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable

import msgspec
import pydantic_core
import pytest
from pydantic import ValidationError

from carbon_stream.events import EmissionEvent
from carbon_stream.settings import Settings
from ingest_api import validation
from ingest_api.errors import InputRejected
from ingest_api.strict_events import EncodedEmission, decode_strict_batch, decode_strict_event, encode_strict
from ingest_api.validation import parse_event, parse_json_batch, parse_ndjson_batch
from tests.utils.event_corpus import ABSENT, NOW, Case, body, field_cases, mutants, raw_cases

SETTINGS = Settings(batch_max_events=5, correction_horizon_days=35, max_future_skew_s=300)
FIELD_CASES: list[Case] = [(f"{field}-{number}", body(**{field: text}))
                           for field, texts in field_cases().items() for number, text in enumerate(texts)]
CASES: list[Case] = FIELD_CASES + raw_cases()


def _strict(event_body: bytes) -> EncodedEmission | None:
    try:
        return encode_strict(decode_strict_event(event_body))
    except ValueError:
        return None


def _contract(event_body: bytes) -> EmissionEvent | None:
    try:
        return EmissionEvent.model_validate_json(event_body)
    except ValidationError:
        return None


def _assert_same_event(strict: EncodedEmission, contract: EmissionEvent | None, event_body: bytes) -> None:
    """Same Kafka value bytes and event_id; a generated event_id (random on each path) is a new uuid4."""
    assert contract is not None, "the strict path accepted what the contract refuses"
    expected = contract.to_wire_json()
    if strict.event_id != contract.event_id:
        assert strict.event_id.version == contract.event_id.version == 4
        assert strict.event_id.hex not in _hex_digits(event_body)
        expected = expected.replace(str(contract.event_id).encode(), str(strict.event_id).encode(), 1)
    assert strict.to_wire_json() == expected
    assert strict.org_id == contract.org_id and strict.occurred_at == contract.occurred_at


def _hex_digits(text: bytes) -> str:
    return re.sub("[^0-9a-f]", "", text.decode(errors="replace").lower())


@pytest.mark.parametrize("event_body", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_strict_accepts_only_what_the_contract_accepts_with_the_same_wire_bytes(event_body):
    strict = _strict(event_body)
    if strict is not None:
        _assert_same_event(strict, _contract(event_body), event_body)


def test_wire_strings_are_escaped_as_pydantic_core_escapes_them():
    """source, attributes and org_id reach the wire through msgspec's encoder on the strict path and
    pydantic-core's on the other: the same bytes for every character (surrogates cannot be decoded)."""
    encode = msgspec.json.Encoder().encode
    characters = [chr(code) for code in [*range(0xD800), *range(0xE000, 0x10000), 0x10000, 0x1F600, 0x10FFFF]]
    assert [encode(f"a{c}b") for c in characters] == [pydantic_core.to_json(f"a{c}b") for c in characters]


def test_strict_subset_rule_holds_for_random_mutations_of_valid_bodies():
    accepted = 0
    for _, event_body in mutants(3000):
        strict = _strict(event_body)
        if strict is not None:
            accepted += 1
            _assert_same_event(strict, _contract(event_body), event_body)
    assert accepted > 100  # mutations inside strings and digits keep many bodies valid


def test_corpus_exercises_both_paths():
    """Not vacuous: the strict path takes a good share of the corpus, and the contract accepts cases it
    leaves to pydantic (the fallback accepts, it does not only explain)."""
    strict = [_strict(event_body) is not None for _, event_body in FIELD_CASES]
    contract = [_contract(event_body) is not None for _, event_body in FIELD_CASES]
    assert sum(strict) > 200
    assert sum(c and not s for s, c in zip(strict, contract, strict=True)) > 50


def test_strict_path_takes_typical_events():
    """The events clients send (Python's isoformat, JavaScript's toISOString, ints, attributes, no
    event_id) are decoded in one msgspec call and returned by the parse functions as EncodedEmissions."""
    items = [json.loads(event_body) for event_body in (
        body(), body(occurred_at='"2026-11-23T08:00:00.123Z"', co2e_kg="3", attributes=ABSENT),
        body(occurred_at='"2026-11-23T09:30:00+01:00"', event_id=ABSENT, source=ABSENT))]
    array = json.dumps(items).encode()
    assert len(decode_strict_batch(array)) == 3
    ndjson = b"\n".join(json.dumps(item).encode() for item in items)
    for events in (parse_json_batch(array, NOW, SETTINGS), parse_ndjson_batch(ndjson, NOW, SETTINGS),
                   [parse_event(json.dumps(item).encode(), NOW, SETTINGS) for item in items]):
        assert [type(event) for event in events] == [EncodedEmission] * 3


# ----- the parse functions: same answer as the pydantic path alone ---------------------------------------

def _outcome(parse: Callable, request_body: bytes) -> tuple[int, list]:
    """202 with the Kafka values (generated event_ids masked), or the refusal's status and problems."""
    try:
        events = parse(request_body, NOW, SETTINGS)
    except InputRejected as rejected:
        return rejected.status_code, [problem.model_dump() for problem in rejected.problems]
    events = [events] if parse is parse_event else events
    given = _hex_digits(request_body)
    return 202, [event.to_wire_json() if event.event_id.hex in given
                 else event.to_wire_json().replace(str(event.event_id).encode(), b"generated") for event in events]


def _refuse(request_body: bytes) -> None:
    raise ValueError("strict path switched off")


def _pydantic_outcome(monkeypatch, parse: Callable, request_body: bytes) -> tuple[int, list]:
    with monkeypatch.context() as patched:
        patched.setattr(validation, "decode_strict_event", _refuse)
        patched.setattr(validation, "decode_strict_batch", _refuse)
        return _outcome(parse, request_body)


def _requests(event_body: bytes) -> list[tuple[Callable, bytes]]:
    """The event alone, and in a batch after a valid event, as a JSON array and as NDJSON."""
    valid = body()
    return [(parse_event, event_body), (parse_json_batch, b"[" + event_body + b"]"),
            (parse_json_batch, b"[" + valid + b"," + event_body + b"]"),
            (parse_ndjson_batch, valid + b"\n" + event_body + b"\n")]


@pytest.mark.parametrize("event_body", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_parse_functions_answer_as_the_pydantic_path_alone(monkeypatch, event_body):
    for parse, request_body in _requests(event_body):
        assert _outcome(parse, request_body) == _pydantic_outcome(monkeypatch, parse, request_body)


def test_parse_functions_answer_random_mutations_as_the_pydantic_path_alone(monkeypatch):
    for _, event_body in mutants(400, seed=7):
        for parse, request_body in _requests(event_body):
            assert _outcome(parse, request_body) == _pydantic_outcome(monkeypatch, parse, request_body)


@pytest.mark.parametrize("request_body", [b"[]", b"[" + b",".join([body()] * 6) + b"]", b"[" + body() + b",]",
                                          b"[" + body() + b"] x", b"{}", b"\n\n"])
def test_batch_count_and_shape_answers_are_the_pydantic_paths(monkeypatch, request_body):
    for parse in (parse_json_batch, parse_ndjson_batch):
        assert _outcome(parse, request_body) == _pydantic_outcome(monkeypatch, parse, request_body)
