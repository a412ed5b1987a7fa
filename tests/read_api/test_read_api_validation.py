"""Parameter validation of the read API: every 422 path, answered before any database access.

``offline_client``'s database is a closed port: a request that reached it would answer 503.
"""
from __future__ import annotations

import time

import pytest

SERIES = "/v1/orgs/acme/emissions"
SUMMARY = "/v1/emissions/summary"
RANGE = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}


def _problems(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.text
    found: dict[str, list[str]] = {}
    for item in response.json()["detail"]:
        found.setdefault(item["loc"][-1], []).append(item["msg"])
    return found


@pytest.mark.parametrize(
    ("params", "parameter", "reason"),
    [
        ({**RANGE, "from": "2026-03-01T00:00:00Z"}, "from", "must not be after `to`"),
        ({**RANGE, "grain": "week"}, "grain", "'minute', 'hour', 'day' or 'month'"),
        ({**RANGE, "per_page": "1001"}, "per_page", "less than or equal to 1000"),
        ({**RANGE, "per_page": "0"}, "per_page", "greater than or equal to 1"),
        ({**RANGE, "page": "0"}, "page", "greater than or equal to 1"),
        ({**RANGE, "sort": "-colour"}, "sort", "unknown sort field 'colour'"),
        ({**RANGE, "sort": "scope,-scope"}, "sort", "given twice"),
        ({**RANGE, "sort": "scope;drop table x"}, "sort", "should match pattern"),
        ({**RANGE, "scope": "4"}, "scope", "less than or equal to 3"),
        ({**RANGE, "scope": "0"}, "scope", "greater than or equal to 1"),
        ({**RANGE, "scope": "two"}, "scope", "valid integer"),
        ({**RANGE, "category": "Business Travel"}, "category", "should match pattern"),
        ({**RANGE, "from": "2026-01-01T00:00:00"}, "from", "with a UTC offset"),
        ({**RANGE, "from": "2026-01-01"}, "from", "RFC 3339"),
        ({**RANGE, "to": "1767225600"}, "to", "RFC 3339"),
        ({**RANGE, "to": "2026-02-30T00:00:00Z"}, "to", "not a valid date-time"),
        ({"to": RANGE["to"]}, "from", "Field required"),
    ],
)
def test_series_invalid_parameter_names_parameter_and_reason(offline_client, params, parameter, reason):
    problems = _problems(offline_client.get(SERIES, params=params))
    assert parameter in problems, problems
    assert any(reason in msg for msg in problems[parameter]), problems


def test_series_bad_org_slug_is_422_on_the_path(offline_client):
    problems = _problems(offline_client.get("/v1/orgs/-bad org/emissions", params=RANGE))
    assert "org_id" in problems


def test_series_reports_every_problem_at_once(offline_client):
    params = {**RANGE, "grain": "week", "per_page": "5000", "scope": "9", "category": "X"}
    assert set(_problems(offline_client.get(SERIES, params=params))) == {"grain", "per_page", "scope", "category"}


def test_series_cross_parameter_problems_are_listed_together(offline_client):
    params = {**RANGE, "from": "2026-03-01T00:00:00Z", "sort": "nope"}
    assert set(_problems(offline_client.get(SERIES, params=params))) == {"from", "sort"}


@pytest.mark.parametrize(
    ("params", "parameter", "reason"),
    [
        ({**RANGE, "group_by": "building"}, "group_by", "'org', 'scope' or 'category'"),
        ({**RANGE, "from": "2026-01-01T00:00:30Z"}, "from", "whole UTC minute"),
        ({**RANGE, "to": "2026-02-01T00:00:00.250Z"}, "to", "whole UTC minute"),
        ({**RANGE, "sort": "org_id", "group_by": "scope"}, "sort", "allowed: scope, event_count, co2e_kg_sum"),
        ({**RANGE, "sort": "window_start"}, "sort", "unknown sort field"),
        ({**RANGE, "per_page": "100000"}, "per_page", "less than or equal to 1000"),
        ({**RANGE, "from": "2026-02-01T00:00:01Z"}, "from", "must not be after `to`"),
        ({"from": RANGE["from"]}, "to", "Field required"),
    ],
)
def test_summary_invalid_parameter_names_parameter_and_reason(offline_client, params, parameter, reason):
    problems = _problems(offline_client.get(SUMMARY, params=params))
    assert parameter in problems, problems
    assert any(reason in msg for msg in problems[parameter]), problems


def test_valid_request_reaches_the_database_and_answers_503_when_it_is_down(offline_client):
    response = offline_client.get(SERIES, params={**RANGE, "grain": "day", "scope": "2", "sort": "-co2e_kg_sum"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "database unavailable" in response.json()["detail"]


def test_health_answers_503_quickly_when_everything_is_down(offline_client):
    started = time.monotonic()
    response = offline_client.get("/v1/health")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    names = {component["name"]: component for component in body["components"]}
    assert set(names) == {"postgresql", "kafka", "flink_job:emissions_rollup"}
    assert all(component["status"] == "degraded" for component in names.values())
    assert "error" in names["flink_job:emissions_rollup"]["details"]


def test_openapi_documents_units_and_the_envelope(offline_client):
    spec = offline_client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert set(schemas["EmissionWindowsPage"]["properties"]) == {"items", "page", "per_page", "total", "sort"}
    assert "kg CO2e" in schemas["EmissionWindowOut"]["properties"]["co2e_kg_sum"]["description"]
    assert schemas["EmissionWindowOut"]["properties"]["co2e_kg_sum"]["type"] == "string"
    assert {"/v1/orgs/{org_id}/emissions", "/v1/emissions/summary", "/v1/health"} <= set(spec["paths"])
    assert offline_client.get("/docs").status_code == 200


def test_health_turns_a_failing_check_into_a_degraded_component(offline_client, monkeypatch):
    def broken_check(settings):
        raise RuntimeError("bug in a check")

    monkeypatch.setattr("read_api.routers.health.check_flink_jobs", broken_check)
    response = offline_client.get("/v1/health")
    assert response.status_code == 503
    flink = next(c for c in response.json()["components"] if c["name"] == "flink")
    assert flink["status"] == "degraded" and "bug in a check" in flink["details"]["error"]
