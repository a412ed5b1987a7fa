"""A corpus of emission-event request bodies around every edge of the contract, for the differential
tests of the strict path against the pydantic path (tests/ingest_api/test_ingest_strict_events.py).

Bodies are built from raw JSON texts per field, so a case can hold what ``json.dumps`` cannot write: a
number with 20 digits, a duplicate key, an escaped key, invalid UTF-8. Each field's cases are the
systematic edges (lengths, ranges, formats) plus the known differences between msgspec and pydantic.
``NOW`` is the receive time the cases are built around: BASE's occurred_at is an hour before it.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

__all__ = ["NOW", "ABSENT", "BASE", "Case", "body", "field_cases", "raw_cases", "mutants"]

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ABSENT = object()
Case = tuple[str, bytes]  # (id, request body of one event)


def _text(value: object) -> str:
    return json.dumps(value)


BASE: dict[str, str] = {
    "event_id": _text("6f1c2a7e-3b0d-4a8e-9c51-2f4b7d9e8a10"),
    "org_id": _text("acme-gmbh"),
    "occurred_at": _text("2026-11-23T08:00:00.123456+00:00"),
    "co2e_kg": "12.345678",
    "scope": "2",
    "category": _text("purchased_electricity"),
    "source": _text("meter-42"),
    "attributes": _text({"site": "berlin-1"}),
}


def body(**raw: object) -> bytes:
    """BASE with fields replaced by raw JSON texts (ABSENT drops one), as UTF-8 bytes."""
    fields = {**BASE, **raw}
    return ("{" + ",".join(f"{_text(name)}:{text}" for name, text in fields.items() if text is not ABSENT)
            + "}").encode()


def _strings(values: list[str]) -> list[str]:
    """Each string as JSON twice: \\u-escaped and as raw UTF-8 (msgspec and jiter decode both)."""
    return sorted({_text(value) for value in values} | {json.dumps(value, ensure_ascii=False) for value in values})


def _occurred_at_texts() -> list[str]:
    """Instants at the event-time boundaries (received NOW, horizon 35 d, skew 300 s) and inside, in
    offsets from Z to ±23:59, with 0 to 9 fractional digits (7+: msgspec rounds where pydantic truncates)."""
    instants = [NOW - timedelta(hours=1, microseconds=-123456), NOW - timedelta(days=35),
                NOW - timedelta(days=35, microseconds=1), NOW + timedelta(seconds=300),
                NOW + timedelta(seconds=300, microseconds=1), NOW - timedelta(microseconds=999)]
    offsets = {"Z": 0, "+00:00": 0, "-00:00": 0, "+01:00": 60, "-09:30": -570, "+14:00": 840, "+23:59": 1439,
               "-23:59": -1439}
    texts = []
    for instant in instants:
        for suffix, minutes in offsets.items():
            local = instant.astimezone(timezone(timedelta(minutes=minutes)))
            digits = f"{local.microsecond:06d}"
            for fraction in ("", "." + digits[:1], "." + digits[:3], "." + digits, "." + digits + "5",
                             "." + digits + "999"):
                texts.append(f"{local:%Y-%m-%dT%H:%M:%S}{fraction}{suffix}")
    # one before the horizon by less than a microsecond: pydantic truncates it outside, rounding would not
    texts.append((NOW - timedelta(days=35, microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "5Z")
    return texts


_OCCURRED_AT_TRAPS = [
    "2026-11-23t08:00:00Z", "2026-11-23T08:00:00z", "2026-11-23 08:00:00Z", "2026-11-23_08:00:00Z",
    "2026-11-23T08:00Z", "2026-11-23T08Z", "2026-11-23", "2026-11-23T08:00:00", "2026-11-23T08:00:00.123",
    "2026-11-23T08:00:00+24:00", "2026-11-23T08:00:00+01:60", "2026-11-23T08:00:00+0100", "2026-11-23T08:00:00+01",
    "2026-11-23T08:00:00+01:00:30", "2026-11-23T08:00:00.Z", "2026-11-23T08:00:00,5Z", "2026-11-23T24:00:00Z",
    "2026-11-23T23:59:60Z", "2026-11-23T08:60:00Z", "2026-02-29T08:00:00Z", "2024-02-29T08:00:00Z",
    "2026-02-30T08:00:00Z", "2026-04-31T08:00:00Z", "2026-13-01T08:00:00Z", "2026-00-10T08:00:00Z",
    "2026-11-00T08:00:00Z", "2026-W48-1T08:00:00Z", "2026-327T08:00:00Z", "20261123T080000Z", "+2026-11-23T08:00:00Z",
    "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-01:00", "2026-11-23T08:00:00Z\n", "2026-11-23T08:00:00Z ", " 2026-11-23T08:00:00Z",
    "2026-11-23T8:00:00Z", "２026-11-23T08:00:00Z", "2026-11-23T08:00:0\u0660Z", "2026-11-23T08:00:00.9999995Z",
    "2026-11-23T08:00:00.12345678901234567890Z", "2026-11-23T08:00:00+00:00\n", "",
]

_UUID = "6f1c2a7e-3b0d-4a8e-9c51-2f4b7d9e8a10"


def field_cases() -> dict[str, list[str]]:
    """Raw JSON texts per field: edges of each rule and the known traps."""
    return {
        "event_id": [ABSENT, "null", "5", '""', "[]"] + _strings([
            _UUID, _UUID.upper(), _UUID[:9] + _UUID[9:].upper(), _UUID.replace("-", ""), "{" + _UUID + "}",
            "urn:uuid:" + _UUID, _UUID + "\n", " " + _UUID, _UUID[:-1], _UUID + "0", _UUID.replace("-", "_"),
            _UUID[:8] + _UUID[9:], "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "c232ab00-9414-11ec-b3c8-9f6bdeced846", "\uff16" + _UUID[1:], "g" + _UUID[1:],
        ]),
        "org_id": [ABSENT, "null", "5", "true", '["a"]'] + _strings([
            "acme", "a", "A" * 64, "a" * 65, "", "-x", "x-", "a.b:c_d-e", "acme\n", "acme\r", "acme ", " acme",
            "acmé", "ａcme", "a\x00", "\u212a", "1", "a" * 63 + "\n", "a" * 64 + "\n", "a\u0131", "_a",
        ]),
        "category": [ABSENT, "null", "5"] + _strings([
            "purchased_electricity", "a", "a" * 64, "a" * 65, "Purchased", "1abc", "a-b", "abc\n", "ab c", "",
            "_a", "a_", "\u0131", "\u017f", "a" * 63 + "\n", "business_travel\x00",
        ]),
        "occurred_at": ["1700000000", "1700000000.5", "0", '"1700000000"', "null", "[]"]
        + _strings(_occurred_at_texts() + _OCCURRED_AT_TRAPS),
        "co2e_kg": [
            "0", "-0", "0.0", "-0.0", "1", "12.5", "12.345678", "0.1234565", "0.1234575", "0.0000005", "0.0000015",
            "0.0000025", "1.0000025000000000001", "1.0000024999999999999", "1e-7", "5e-7", "-1e-7", "-5e-7",
            "999999999999.999999", "999999999999.9999995", "999999999999.99999949", "1000000000000", "1e12", "1e13",
            "1E2", "1e+2", "1e15", "1e16", "1e17", "1e22", "9007199254740993", "123456789012345678901234567890",
            "18446744073709551616", "-1", "0.1e-400", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "true",
            "false", "null", "[1]", '{"v":1}', '"12.5"', '"NaN"', '"1e3"', '"abc"', '""', "01", "1.", ".5",
            "2.2250738585072014e-308", "4.9e-324", "0.30000000000000004", "123456.7890125", "0.0000125",
        ],
        "scope": ["1", "2", "3", "0", "4", "-1", "-0", "1.0", "1e0", "2.5", "true", '"1"', "null", "[1]", ABSENT,
                  "18446744073709551617"],
        "source": [ABSENT, "null", "5", "[]", "{}"] + _strings([
            "", "bench", "s" * 128, "s" * 129, "\U0001f600" * 128, "\U0001f600" * 129, "e\u0301" * 64,
            "e\u0301" * 65, "a\x00b", "\x00", "line\nbreak", "tab\there", "\u2028\u2029", "\x7f", "\x1f",
            '"quoted"', "back\\slash", "</script>", "\ufeff", "\uffff", "\U0010ffff", "a" * 127 + "\n",
        ]),
        "attributes": [ABSENT, "null", "[]", '"x"', "5", "{}", '{"k":1}', '{"k":null}', '{"k":"v","k":"w"}',
                       '{"b":"1","a":"2","b":"3"}',
                       "{" + ",".join(f'"k{i}":"v"' for i in range(20)) + "}",
                       "{" + ",".join(f'"k{i}":"v"' for i in range(21)) + "}",
                       "{" + ",".join(f'"k{i % 20}":"v{i}"' for i in range(21)) + "}",
                       '{"k":{"nested":"v"}}', '{"k":["v"]}']
        + [_text({key: value}) for key, value in [
            ("", "v"), ("k" * 64, "v"), ("k" * 65, "v"), ("k", "v" * 256), ("k", "v" * 257), ("k\x00", "v"),
            ("k", "v\x00"), ("k", ""), ("\U0001f600" * 64, "\U0001f600" * 256), ("\U0001f600" * 65, "v"),
            ("k", "\U0001f600" * 257), ("k\n", "v\n"),
        ]],
    }


def raw_cases() -> list[Case]:
    """Whole bodies around the JSON syntax: encodings, whitespace, duplicate and escaped keys."""
    base = body()
    return [
        ("bom", b"\xef\xbb\xbf" + base), ("trailing-garbage", base + b"x"), ("trailing-nul", base + b"\x00"),
        ("trailing-space", base + b" \n\r\t"), ("leading-space", b" \t\r\n" + base), ("formfeed", b"\x0c" + base),
        ("two-objects", base + base), ("array", b"[" + base + b"]"), ("empty", b""), ("null", b"null"), ("obj", b"{}"),
        ("number", b"42"), ("string", b'"x"'), ("unknown-field", body(unexpected="1")),
        ("unknown-null", body(unexpected="null")), ("case", body(Org_id=_text("x"))),
        ("escaped-key", base.replace(b'"org_id"', b'"org\\u005fid"')),
        ("dup-org", base[:-1] + b',"org_id":"other"}'), ("dup-org-bad-last", base[:-1] + b',"org_id":"-x"}'),
        ("dup-org-bad-first", base.replace(b'"org_id":', b'"org_id":"-x","org_id":')),
        ("dup-scope", base[:-1] + b',"scope":3}'), ("dup-escaped", base[:-1] + b',"sc\\u006fpe":1}'),
        ("dup-event-id", base[:-1] + b',"event_id":"00000000-0000-0000-0000-000000000000"}'),
        ("dup-event-id-null", base.replace(b'"event_id":', b'"event_id":null,"event_id":')),
        ("invalid-utf8", body(source='"\xff"').replace(b"\xc3\xbf", b"\xff")),
        ("overlong-utf8", body(source='"x"').replace(b'"x"', b'"\xc0\xaf"')),
        ("cesu-surrogate", body(source='"x"').replace(b'"x"', b'"\xed\xa0\x80"')),
        ("lone-high", body(source='"\\ud800"')), ("lone-low", body(source='"\\udc00x"')),
        ("pair", body(source='"\\ud83d\\ude00"')), ("high-then-escape", body(source='"\\ud800\\u0041"')),
        ("raw-control", body(source='"a\x01b"')), ("raw-tab", body(source='"a\tb"')),
        ("deep", body(attributes='{"k":' + "[" * 500 + "]" * 500 + "}")),
        ("nan-literal", body(co2e_kg="NaN")), ("minimal", body(event_id=ABSENT, source=ABSENT, attributes=ABSENT)),
    ]


def mutants(count: int, seed: int = 20261123) -> Iterator[Case]:
    """Random byte edits of valid bodies (delete, insert, replace, duplicate), reproducible by seed."""
    rng = random.Random(seed)
    parents = [body(), body(event_id=ABSENT, source=ABSENT, attributes=ABSENT),
               body(occurred_at=_text("2026-11-23T08:00:00.123Z"), co2e_kg="0.5")]
    alphabet = b'0123456789aZz:+-.,"{}[]\\ \n\x00Tt'
    for number in range(count):
        mutant = bytearray(rng.choice(parents))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(mutant))
            edit = rng.randrange(4)
            if edit == 0:
                del mutant[at]
            elif edit == 1:
                mutant.insert(at, rng.choice(alphabet))
            elif edit == 2:
                mutant[at] = rng.choice(alphabet)
            else:
                mutant[at:at] = mutant[at:at + rng.randint(1, 8)]
        yield f"mutant-{number}", bytes(mutant)
