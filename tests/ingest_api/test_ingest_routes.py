"""The ingest API over HTTP with fake publishers: status codes, the error shape, and that refused
requests never reach the publisher (RefusingPublisher fails the test if they do). No broker."""
from __future__ import annotations

import gc
import json
import uuid

import pytest
from fastapi.testclient import TestClient

from ingest_api.app import GC_GEN0_THRESHOLD, create_app

from tests.utils.ingest_events import event_body, ndjson
from tests.utils.ingest_fakes import RecordingPublisher, RefusingPublisher, UnavailablePublisher

JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}


def _assert_error_shape(response, status: int) -> list[dict]:
    assert response.status_code == status
    detail = response.json()["detail"]
    assert detail and all({"loc", "field", "msg"} <= item.keys() for item in detail)
    return detail


def test_post_emission_invalid_is_422_naming_field_and_reason(refusing_client):
    detail = _assert_error_shape(refusing_client.post("/v1/emissions", json=event_body(co2e_kg=-3)), 422)
    assert detail == [{"loc": ["body", "co2e_kg"], "field": "co2e_kg", "msg": "must be >= 0"}]


def test_post_emission_older_than_horizon_is_422_naming_horizon(refusing_client):
    detail = _assert_error_shape(
        refusing_client.post("/v1/emissions", json=event_body(occurred_at="2020-01-01T00:00:00Z")), 422)
    assert detail[0]["field"] == "occurred_at" and "35 days" in detail[0]["msg"]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b"", b"[]"])
def test_post_emission_malformed_body_is_422(refusing_client, content):
    detail = _assert_error_shape(refusing_client.post("/v1/emissions", content=content, headers=JSON), 422)
    assert detail[0]["field"] == "body"


@pytest.mark.parametrize("path", ["/v1/emissions", "/v1/emissions/batch", "/emissions"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_or_missing_content_type_is_415(refusing_client, path, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = refusing_client.post(path, content=json.dumps(event_body()).encode(), headers=headers)
    assert _assert_error_shape(response, 415)[0]["field"] == "content-type"


def test_post_emission_accepts_json_with_charset(client_with):
    with client_with(RecordingPublisher()) as client:
        response = client.post("/v1/emissions", content=json.dumps(event_body()).encode(),
                               headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 202


def test_batch_over_max_count_is_413(refusing_client, unit_settings):
    bodies = [event_body() for _ in range(unit_settings.batch_max_events + 1)]
    detail = _assert_error_shape(refusing_client.post("/v1/emissions/batch", json=bodies), 413)
    assert str(unit_settings.batch_max_events) in detail[0]["msg"]


def test_batch_declared_content_length_over_max_is_413(refusing_client, unit_settings):
    headers = {**JSON, "content-length": str(unit_settings.batch_max_bytes + 1)}
    # The body itself is small: the declared length alone is refused, before reading.
    response = refusing_client.post("/v1/emissions/batch", content=b"[]", headers=headers)
    detail = _assert_error_shape(response, 413)
    assert detail[0]["msg"].startswith(f"body is larger than {unit_settings.batch_max_bytes}")


def test_batch_streamed_body_over_max_bytes_is_413_without_content_length(refusing_client, unit_settings):
    def chunks():  # chunked transfer: no Content-Length, the limit is enforced on the bytes read
        yield b"["
        for _ in range(unit_settings.batch_max_bytes // 100 + 1):
            yield b" " * 100
        yield b"]"
    response = refusing_client.post("/v1/emissions/batch", content=chunks(), headers=JSON)
    _assert_error_shape(response, 413)


def test_batch_with_one_invalid_item_is_422_and_nothing_published(refusing_client):
    bodies = [event_body(), event_body(scope=5), event_body(), event_body(category=None)]
    detail = _assert_error_shape(refusing_client.post("/v1/emissions/batch", json=bodies), 422)
    assert [(item["index"], item["field"]) for item in detail] == [(1, "scope"), (3, "category")]


def test_batch_ndjson_malformed_line_is_422_with_index(refusing_client):
    content = ndjson([event_body()]) + b"{\n"
    detail = _assert_error_shape(refusing_client.post("/v1/emissions/batch", content=content, headers=NDJSON), 422)
    assert (detail[0]["index"], detail[0]["field"]) == (1, "body")


def test_post_emission_202_after_publish_returns_event_id(client_with):
    publisher = RecordingPublisher()
    body = event_body()
    with client_with(publisher) as client:
        response = client.post("/v1/emissions", json=body)
    assert (response.status_code, response.json()) == (202, {"event_id": body["event_id"], "status": "accepted"})
    assert [str(event.event_id) for event in publisher.published] == [body["event_id"]]


@pytest.mark.parametrize("as_ndjson", [False, True])
def test_batch_202_returns_all_ids_in_order_including_generated(client_with, as_ndjson):
    publisher = RecordingPublisher()
    bodies = [event_body(), event_body(event_id=None), event_body()]
    with client_with(publisher) as client:
        if as_ndjson:
            response = client.post("/v1/emissions/batch", content=ndjson(bodies), headers=NDJSON)
        else:
            response = client.post("/v1/emissions/batch", json=bodies)
    assert response.status_code == 202
    event_ids = response.json()["event_ids"]
    assert response.json()["count"] == 3
    assert (event_ids[0], event_ids[2]) == (bodies[0]["event_id"], bodies[2]["event_id"])
    assert uuid.UUID(event_ids[1])
    assert [str(event.event_id) for event in publisher.published] == event_ids


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/emissions", event_body()),
    ("/v1/emissions/batch", [event_body(), event_body(event_id=None)]),
    ("/emissions", {"organizationId": 1, "value": 100}),
])
def test_kafka_unavailable_is_503_with_retry_after_and_event_ids(client_with, unit_settings, path, body):
    with client_with(UnavailablePublisher()) as client:
        response = client.post(path, json=body)
    detail = _assert_error_shape(response, 503)
    assert response.headers["retry-after"] == str(int(unit_settings.kafka_send_timeout_s))
    assert "idempotent" in detail[0]["msg"]
    assert len(response.json()["event_ids"]) == (len(body) if isinstance(body, list) else 1)


def test_seed_post_is_201_with_the_stored_emission(client_with):
    publisher = RecordingPublisher()
    with client_with(publisher) as client:
        response = client.post("/emissions", json={"organizationId": 1, "value": 100})
    assert response.status_code == 201
    created = response.json()
    (event,) = publisher.published
    assert created == {"id": str(event.event_id), "organizationId": 1, "value": 100.0,
                       "timestamp": event.to_wire()["occurred_at"]}
    assert (event.org_id, event.category, event.scope) == ("1", "unspecified", 1)


def test_seed_post_invalid_names_the_older_field(refusing_client):
    detail = _assert_error_shape(refusing_client.post("/emissions", json={"organizationId": 1, "value": -1}), 422)
    assert detail[0]["field"] == "value"


@pytest.mark.parametrize(("method", "path", "status"), [("get", "/nowhere", 404), ("get", "/v1/emissions", 405)])
def test_other_http_errors_use_the_same_shape(refusing_client, method, path, status):
    _assert_error_shape(getattr(refusing_client, method)(path), status)


def test_parameters_validated_by_fastapi_use_the_same_422_shape(unit_settings):
    app = create_app(unit_settings, publisher=RefusingPublisher())

    @app.get("/probe")
    async def probe(limit: int) -> int:  # stands for any future query parameter
        return limit

    with TestClient(app) as client:
        detail = _assert_error_shape(client.get("/probe", params={"limit": "many"}), 422)
    assert (detail[0]["loc"], detail[0]["field"]) == (["query", "limit"], "limit")


@pytest.mark.parametrize(("publisher", "status", "state"), [
    (RecordingPublisher(), 200, "ok"), (UnavailablePublisher(), 503, "degraded"),
])
def test_health_reports_kafka(client_with, publisher, status, state):
    with client_with(publisher) as client:
        response = client.get("/v1/health")
    assert (response.status_code, response.json()["status"]) == (status, state)


def test_openapi_documents_contract_examples_and_batch_limits(refusing_client, unit_settings):
    assert refusing_client.get("/docs").status_code == 200
    paths = refusing_client.get("/openapi.json").json()["paths"]
    single = paths["/v1/emissions"]["post"]
    content = single["requestBody"]["content"]["application/json"]
    assert set(content["schema"]["required"]) == {"org_id", "occurred_at", "co2e_kg", "scope", "category"}
    assert {"full", "minimal"} <= content["examples"].keys()
    assert {"202", "413", "415", "422", "503"} <= single["responses"].keys()
    batch = paths["/v1/emissions/batch"]["post"]
    assert {"application/json", "application/x-ndjson"} == batch["requestBody"]["content"].keys()
    limits = f"At most {unit_settings.batch_max_events} events and {unit_settings.batch_max_bytes} bytes"
    assert limits in batch["description"]
    assert "idempotent" in batch["description"]


def test_app_raises_the_gc_gen0_threshold_while_it_runs_and_restores_it(client_with):
    before = gc.get_threshold()
    with client_with(RecordingPublisher()):
        assert gc.get_threshold() == (GC_GEN0_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before
