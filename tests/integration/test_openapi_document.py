"""The OpenAPI document served at /api/v1/openapi.json: a valid OpenAPI 3 document whose error and
response schemas say what the server really answers. (tests/integration/test_openapi_fuzz.py checks
every operation's answers against it; these name the defects it once had.)"""
import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from tests.conftest import bearer

OPERATIONS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def errors_in(doc: dict, component: str, body) -> list[str]:
    """What is wrong with ``body`` as the document's schema ``component`` (none: it conforms)."""
    validator = OAS30Validator({"$ref": f"#/components/schemas/{component}", "components": doc["components"]})
    return [e.message for e in validator.iter_errors(body)]


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield f"{method.upper()} {path}", operation


def test_the_document_is_a_valid_openapi_3_document(doc):
    validate(doc)  # raises on the first violation
    assert doc["openapi"].startswith("3.")


def test_a_money_bound_is_written_as_a_number_not_as_text(doc):
    unit_price = doc["components"]["schemas"]["NewLot"]["properties"]["unit_price"]
    assert unit_price["type"] == "number" and unit_price["minimum"] == 0
    assert not isinstance(unit_price["minimum"], str)


def test_every_operation_lists_its_error_statuses_with_the_error_shape_and_no_catch_all(doc):
    error_response_names = set()
    for label, operation in operations(doc):
        responses = operation["responses"]
        assert "default" not in responses, label
        assert {"400", "401", "413", "422", "500"} <= set(responses), label
        if "requestBody" in operation:
            assert "415" in responses, label
        assert any(code.startswith("2") for code in responses), f"{label} documents no success"
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                error_response_names.add(response["$ref"].rsplit("/", 1)[1])
    for name in error_response_names:
        schema = doc["components"]["responses"][name]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}, name


def test_the_error_schema_accepts_the_errors_the_server_writes(client, county, doc):
    admin = bearer(county, "admin")
    answers = [
        client.get("/api/v1/lots/NO-SUCH-LOT", headers=admin),  # a domain error naming its field
        client.post("/api/v1/ledger", json={"kind": "count"}, headers=admin),  # field-level messages
        client.get("/api/v1/me"),  # not authenticated
        client.get("/api/v1/ledger/seal", headers=bearer(county, "keeper")),  # a role refused
        client.put("/api/v1/levels", json={"levels": []}, headers=admin),  # message code and parameters
    ]
    assert [a.status_code for a in answers] == [404, 422, 401, 403, 422]
    for answer in answers:
        assert errors_in(doc, "Error", answer.json) == [], answer.json
    # and it is the shape: the old {"code", "status", "message", "errors"} would not pass
    assert errors_in(doc, "Error", {"code": 404, "status": "Not Found", "message": "x", "errors": {}}) != []


def test_the_public_token_exchange_needs_no_bearer_token_in_the_document(doc):
    assert doc["paths"]["/api/v1/tokens"]["post"]["security"] == []
    assert doc["security"] == [{"bearer": []}]


@pytest.mark.parametrize("path, method, component", [
    ("/api/v1/ledger/seal", "get", "Seal"),
    ("/api/v1/ledger/verify", "get", "Verify"),
    ("/api/v1/rotation/tasks", "get", None),
    ("/api/v1/rotation/tasks", "post", "TaskResult"),
    ("/api/v1/rotation/tasks/{task_id}", "get", "TaskResult"),
    ("/api/v1/rotation/tasks/{task_id}/accept", "post", "TaskResult"),
    ("/api/v1/rotation/tasks/{task_id}/done", "post", "TaskResult"),
    ("/api/v1/incidents/{incident_id}/needs", "get", "Needs"),
    ("/api/v1/incidents/{incident_id}/plan", "get", "IncidentPlan"),
    ("/api/v1/incidents/{incident_id}/plan", "post", "IncidentPlan"),
    ("/api/v1/incidents/{incident_id}/problem", "get", "AllocationProblem"),
    ("/api/v1/allocation/solve", "post", "AllocationPlan"),
])
def test_ledger_rotation_and_planning_answers_have_a_response_schema(doc, path, method, component):
    responses = doc["paths"][path][method]["responses"]
    success = [r for code, r in responses.items() if code.startswith("2")]
    assert len(success) == 1
    schema = success[0]["content"]["application/json"]["schema"]
    if component is None:
        assert schema["type"] == "array" and schema["items"] == {"$ref": "#/components/schemas/TaskResult"}
    else:
        assert schema == {"$ref": f"#/components/schemas/{component}"}


def test_a_seal_and_a_verification_conform_to_their_schemas(client, county, doc):
    admin = bearer(county, "admin")
    client.post("/api/v1/ledger", headers=admin, json={
        "kind": "receive", "quantity": 5, "new_lot": {"item": "TENT", "depot": "T1", "code": "TENT-1"}})
    seal = client.get("/api/v1/ledger/seal", headers=admin).json
    verified = client.get("/api/v1/ledger/verify", query_string={"seal": seal["text"]}, headers=admin).json
    assert verified["ok"] is True and verified["first_mismatch"] is None
    assert errors_in(doc, "Seal", seal) == []
    assert errors_in(doc, "Verify", verified) == []


def test_an_incident_below_level_iv_has_no_suggested_level_and_the_document_allows_it(client, county, doc):
    r = client.post("/api/v1/incidents", headers=bearer(county, "dispatcher"), json={
        "type": "flood", "title": "小范围内涝", "level": "IV", "level_reason": "预防性转移",
        "sites": [{"site": "T1-V1", "people": 3}]})
    assert r.status_code == 201, r.json
    assert r.json["suggested_level"] is None
    assert errors_in(doc, "Incident", r.json) == []
