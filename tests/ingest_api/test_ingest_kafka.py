"""The ingest API against a real Kafka broker: what a 202 promises is in the topic (key, payload,
count, per-org order); refused batches publish nothing; Kafka down → 503 in bounded time, then
recovery. Uses the test stack's real broker, which the outage test stops and restarts."""
from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict

import pytest

from carbon_stream.events import EmissionEvent
from tests.utils.ingest_events import event_body, ndjson

pytestmark = pytest.mark.integration

_RECOVERY_DEADLINE_S = 60


def _org() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


def _wire(body: dict) -> dict:
    return EmissionEvent.model_validate(body).to_wire()


def test_single_post_is_in_the_topic_keyed_by_org(kafka_client, topic_tail):
    body = event_body(org_id=_org(), co2e_kg=0.1234567, source="meter-7", attributes={"site": "b1"})
    response = kafka_client.post("/v1/emissions", json=body)
    assert response.status_code == 202
    ((_, key, value),) = topic_tail.read()
    assert key == body["org_id"].encode()
    assert json.loads(value) == _wire(body)
    assert json.loads(value)["co2e_kg"] == "0.123457"


def test_single_post_without_event_id_publishes_the_returned_id(kafka_client, topic_tail):
    response = kafka_client.post("/v1/emissions", json=event_body(org_id=_org(), event_id=None))
    ((_, _, value),) = topic_tail.read()
    assert json.loads(value)["event_id"] == response.json()["event_id"]


@pytest.mark.parametrize("as_ndjson", [False, True])
def test_batch_publishes_every_event_once_in_org_order(kafka_client, topic_tail, as_ndjson):
    orgs = [_org() for _ in range(5)]
    bodies = [event_body(org_id=orgs[i % 5], co2e_kg=i, event_id=None if i % 7 == 0 else str(uuid.uuid4()))
              for i in range(200)]
    if as_ndjson:
        response = kafka_client.post("/v1/emissions/batch", content=ndjson(bodies),
                                     headers={"content-type": "application/x-ndjson"})
    else:
        response = kafka_client.post("/v1/emissions/batch", json=bodies)
    assert response.status_code == 202
    event_ids = response.json()["event_ids"]
    records = topic_tail.read()
    assert len(records) == len(bodies)
    published = {json.loads(value)["event_id"]: (key, json.loads(value)) for _, key, value in records}
    assert sorted(published) == sorted(event_ids)
    for body, event_id in zip(bodies, event_ids):
        key, payload = published[event_id]
        assert key == body["org_id"].encode()
        assert payload == _wire({**body, "event_id": event_id})
    # One org → one partition, in request order.
    partitions_by_org, order_by_org = defaultdict(set), defaultdict(list)
    for partition, key, value in records:
        partitions_by_org[key].add(partition)
        order_by_org[key].append(json.loads(value)["event_id"])
    assert all(len(partitions) == 1 for partitions in partitions_by_org.values())
    for org in orgs:
        expected = [event_id for body, event_id in zip(bodies, event_ids) if body["org_id"] == org]
        assert order_by_org[org.encode()] == expected


def test_batch_with_an_invalid_event_publishes_nothing(kafka_client, topic_tail):
    bodies = [event_body(org_id=_org()) for _ in range(50)]
    bodies[37]["co2e_kg"] = -1
    response = kafka_client.post("/v1/emissions/batch", json=bodies)
    assert response.status_code == 422
    assert [(item["index"], item["field"]) for item in response.json()["detail"]] == [(37, "co2e_kg")]
    assert topic_tail.read() == []


def test_seed_post_publishes_an_unspecified_scope_1_event(kafka_client, topic_tail):
    response = kafka_client.post("/emissions", json={"organizationId": 4242, "value": 100})
    assert response.status_code == 201
    ((_, key, value),) = topic_tail.read()
    payload = json.loads(value)
    assert key == b"4242"
    assert {k: payload[k] for k in ("event_id", "co2e_kg", "scope", "category", "occurred_at")} == {
        "event_id": response.json()["id"], "co2e_kg": "100.000000", "scope": 1, "category": "unspecified",
        "occurred_at": response.json()["timestamp"],
    }


def test_health_is_ok_with_the_topic(kafka_client, emissions_topic):
    response = kafka_client.get("/v1/health")
    assert response.status_code == 200
    assert response.json()["kafka"]["topic"] == emissions_topic and response.json()["kafka"]["topic_partitions"] > 0


@pytest.mark.disruptive
def test_kafka_down_is_503_with_retry_after_then_recovers(kafka_client, kafka_settings, kafka_outage, topic_tail):
    org = _org()
    assert kafka_client.post("/v1/emissions", json=event_body(org_id=org)).status_code == 202
    with kafka_outage:
        for path, body in (("/v1/emissions", event_body(org_id=org)),
                           ("/v1/emissions/batch", [event_body(org_id=org) for _ in range(3)])):
            started = time.monotonic()
            response = kafka_client.post(path, json=body)
            assert time.monotonic() - started < kafka_settings.kafka_send_timeout_s + 1
            assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
            assert response.json()["detail"][0]["loc"] == ["kafka"]
        assert kafka_client.get("/v1/health").status_code == 503
    recovered = _post_until_accepted(kafka_client, event_body(org_id=org))
    assert recovered.status_code == 202
    # Events sent during the outage may still have been delivered (a timeout is not proof of loss);
    # what matters: the first and the recovered event are in the topic exactly once each.
    payloads = [json.loads(value) for _, _, value in topic_tail.read()]
    ids = [payload["event_id"] for payload in payloads]
    assert ids.count(recovered.json()["event_id"]) == 1


def _post_until_accepted(client, body):
    """After the restart librdkafka reconnects with backoff: only 503s until then, never a 5xx else."""
    deadline = time.monotonic() + _RECOVERY_DEADLINE_S
    while True:
        response = client.post("/v1/emissions", json=body)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.5)
