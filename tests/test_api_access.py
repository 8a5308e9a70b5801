"""The role x endpoint access matrix: every endpoint for no key, a bad key, a revoked key and each role.

Refusals carry no data: 401 without a valid key, 403 for a role that may not use the endpoint. Requests a
role may make get past authorisation: 200 for reads; the write cases send a body the endpoint rejects
(400 / 422), which proves the role was let through without changing the database.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from talentcast.storage import Storage
from test_api_support import bearer, seed_storage, seeded_api, settings_for

BAD_CSV = ("regions.csv", b"code,name_zh\n450200,\xe6\x9f\xb3\xe5\xb7\x9e\xe5\xb8\x82\n", "text/csv")  # no level

# (method, path, request kwargs, {role: expected status}); None = 401 for no / bad / revoked key.
READ_ALL = {"admin": 200, "planner": 200, "school": 200}
READ_PLANNING = {"admin": 200, "planner": 200, "school": 403}
MATRIX = [
    ("GET", "/v1/regions", {}, READ_ALL),
    ("GET", "/v1/sectors", {}, READ_ALL),
    ("GET", "/v1/majors", {}, READ_ALL),
    ("GET", "/v1/schools", {}, READ_ALL),
    ("GET", "/v1/forecasts/demand", {}, READ_PLANNING),
    ("GET", "/v1/forecasts/supply", {}, READ_ALL),
    ("GET", "/v1/gaps", {}, READ_PLANNING),
    ("GET", "/v1/warnings", {}, READ_ALL),
    ("GET", "/v1/datasets", {}, READ_PLANNING),
    ("GET", "/v1/runs", {}, READ_PLANNING),
    ("GET", "/v1/models", {}, READ_PLANNING),
    # Scenario with a format error: 400 once authorised (scenario parsed after the role check).
    ("POST", "/v1/scenarios", {"json": {"id": "BAD ID", "name": "x", "changes": []}},
     {"admin": 400, "planner": 400, "school": 403}),
    # Upload of an invalid file: 422 (validation report) for the admin; nothing is stored.
    ("POST", "/v1/datasets/regions", {"files": {"file": BAD_CSV}}, {"admin": 422, "planner": 403, "school": 403}),
    # Recompute: refused for everyone but the admin (the admin case runs the pipeline: see test_api_runs.py).
    ("POST", "/v1/runs", {"json": {}}, {"planner": 403, "school": 403}),
]

CASES = [
    pytest.param(method, path, kwargs, role, status, id=f"{method} {path} as {role}")
    for method, path, kwargs, expected in MATRIX
    for role, status in [("none", 401), ("bad", 401), ("revoked", 401), *expected.items()]
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with seeded_api(tmp_path_factory.mktemp("access") / "home") as api:
        revoked = api.storage.create_api_key("admin", name="old")
        api.storage.revoke_api_key(revoked[1].prefix)
        api.keys["revoked"] = revoked[0]
        api.keys["bad"] = "tc_abcdefgh_" + "x" * 32
        yield {"client": api.client, "keys": api.keys, "storage": api.storage}


@pytest.mark.parametrize(("method", "path", "kwargs", "role", "status"), CASES)
def test_access_matrix(env, method, path, kwargs, role, status):
    headers = {} if role == "none" else bearer(env["keys"][role])
    versions_before = env["storage"].current_versions()
    response = env["client"].request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    if status in (401, 403):
        assert set(response.json()) == {"detail"}  # a refusal carries no data
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    assert env["storage"].current_versions() == versions_before


def test_health_is_public(env):
    assert env["client"].get("/v1/health").status_code == 200


def test_school_key_cannot_see_other_schools_objects(env):
    school = bearer(env["keys"]["school"])  # S001
    for path in ("/v1/warnings", "/v1/forecasts/supply"):
        response = env["client"].get(path, headers=school, params={"school": "S002"})
        assert response.status_code == 404
        assert "S002" in response.json()["detail"] and "items" not in response.json()
        own = env["client"].get(path, headers=school).json()
        assert own["total"] > 0 and {i["school"] for i in own["items"]} == {"S001"}
        # A region filter cannot widen a school key's view.
        wide = env["client"].get(path, headers=school, params={"region": "450100"}).json()
        assert wide["total"] == 0


def test_planner_region_scope_on_every_result_endpoint(env):
    planner = bearer(env["keys"]["planner"])  # 450200
    for path in ("/v1/forecasts/demand", "/v1/forecasts/supply", "/v1/gaps", "/v1/warnings"):
        assert env["client"].get(path, headers=planner, params={"region": "450100"}).status_code == 403
        items = env["client"].get(path, headers=planner).json()["items"]
        assert items and {i["region"] for i in items} == {"450200"}
    unscoped = env["client"].get("/v1/gaps", headers=bearer(env["keys"]["planner_all"])).json()
    assert {i["region"] for i in unscoped["items"]} == {"450100", "450200"}


def test_scenario_targeting_another_region_is_forbidden_for_a_planner(env):
    scenario = {"id": "other-city", "name": "南宁新厂", "changes": [
        {"kind": "employment_change", "target": {"region": "450100", "sector": "C36"}, "percent": 10}]}
    response = env["client"].post("/v1/scenarios", headers=bearer(env["keys"]["planner"]), json=scenario)
    assert response.status_code == 403 and "450100" in response.json()["detail"]


@pytest.mark.parametrize("change, reason", [
    # A 450200 planner may not reach 450100 through a school located there (only target.region was checked).
    ({"kind": "intake", "target": {"school": "S003", "major": "460701"}, "value": 500}, "region '450100'"),
    ({"kind": "parameter", "parameter": "completion_rate", "target": {"school": "S003", "major": "460701"},
      "value": 0.5}, "region '450100'"),
    # Without a region or school a change reaches every region.
    ({"kind": "parameter", "parameter": "completion_rate", "target": {"major": "460701"}, "value": 0.5},
     "reaches every region"),
    ({"kind": "parameter", "parameter": "replacement_rate", "target": {"sector": "C36"}, "value": 0.5},
     "reaches every region"),
    ({"kind": "parameter", "parameter": "replacement_rate", "target": {"sector": "C36", "region": "450100"},
      "value": 0.5}, "region '450100'"),
    # A school that is not stored cannot be placed inside the region.
    ({"kind": "intake", "target": {"school": "S999", "major": "460701"}, "value": 5}, "school 'S999'"),
])
def test_scenario_changes_are_limited_to_the_planners_region(env, change, reason):
    scenario = {"id": "reach", "name": "越界", "changes": [
        {"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, "percent": 10}, change]}
    response = env["client"].post("/v1/scenarios", headers=bearer(env["keys"]["planner"]), json=scenario)
    assert response.status_code == 403, response.text
    assert reason in response.json()["detail"] and "changes[1]" in response.json()["detail"]


def test_school_list_is_scoped_to_the_key(env):
    def codes(label, **params):
        response = env["client"].get("/v1/schools", headers=bearer(env["keys"][label]), params=params)
        assert response.status_code == 200, response.text
        return sorted(item["code"] for item in response.json()["items"])

    assert codes("admin") == codes("planner_all") == codes("planner_gx") == ["S001", "S002", "S003"]
    assert codes("planner") == ["S001", "S002"]  # 450200 only
    assert codes("school") == ["S001"] and codes("school3") == ["S003"]
    assert codes("school", region="450100") == []
    response = env["client"].get("/v1/schools", headers=bearer(env["keys"]["planner"]), params={"region": "450100"})
    assert response.status_code == 403


def test_keys_never_reach_a_log_line():
    from api.security import redact_keys

    key = "tc_abcd1234_" + "Z9" * 16
    assert redact_keys(f'127.0.0.1 - "GET /v1/gaps?region=450200&api_key={key} HTTP/1.1" 401') == \
        '127.0.0.1 - "GET /v1/gaps?region=450200&api_key=*** HTTP/1.1" 401'
    assert redact_keys(f"GET /v1/gaps?{key}") == "GET /v1/gaps?tc_abcd1234_***"
    assert redact_keys("GET /v1/gaps?token=not-even-a-key&year=2025") == "GET /v1/gaps?token=***&year=2025"
    assert redact_keys("GET /v1/gaps?region=450200&keyword=x") == "GET /v1/gaps?region=450200&keyword=x"


def test_keys_are_bearer_only(env):
    token = env["keys"]["admin"]
    assert env["client"].get("/v1/regions", headers={"Authorization": f"Basic {token}"}).status_code == 401
    assert env["client"].get("/v1/regions", params={"api_key": token}).status_code == 401


def test_a_key_revoked_elsewhere_is_refused_by_a_running_server(tmp_path):
    """A revoke from another process (the CLI) reaches the server once it re-reads revocations."""
    import time

    from api.security import KeyVerifier

    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage, with_run=False)
    token, key = storage.create_api_key("planner", region="450200")
    app = create_app(settings)
    app.state.key_verifier = KeyVerifier(ttl_seconds=0.2)  # production: 5 s
    with TestClient(app) as client:
        assert client.get("/v1/regions", headers=bearer(token)).status_code == 200
        other_process = Storage(settings.database_url)
        other_process.revoke_api_key(key.prefix)
        other_process.close()
        statuses = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (not statuses or statuses[-1] != 401):
            statuses.append(client.get("/v1/regions", headers=bearer(token)).status_code)
            time.sleep(0.1)
    assert statuses[-1] == 401
    assert set(statuses) <= {200, 401}
    storage.close()


def test_key_verifier_checks_in_memory_and_remembers_no_tokens(tmp_path):
    """Active keys are answered from memory; bad tokens are not remembered, whatever their number."""
    from api.security import KeyVerifier

    storage = Storage(settings_for(tmp_path / "home").database_url)
    token, key = storage.create_api_key("planner", region="450200")
    verifier = KeyVerifier()
    assert verifier.lookup(storage, token) == (False, None)  # nothing read yet
    assert verifier.verify(storage, token).key_id == key.id
    answered, principal = verifier.lookup(storage, token)
    assert answered and (principal.role, principal.region) == ("planner", "450200")
    # A key created after the keys were read: the database is asked, then it is known in memory too.
    later, later_key = storage.create_api_key("admin")
    assert verifier.lookup(storage, later) == (False, None)
    assert verifier.verify(storage, later).key_id == later_key.id
    assert verifier.lookup(storage, later)[0]
    # Unknown prefixes, wrong secrets and malformed tokens: None, and no memory per token.
    secret = token.split("_")[2]
    bad = [f"tc_x{i:07d}_{secret}" for i in range(200)] + [token[:-1] + ("A" if token[-1] != "A" else "B")]
    for candidate in bad + ["tc_short", "", "Bearer x"]:
        assert verifier.verify(storage, candidate) is None
        assert verifier.lookup(storage, candidate)[1] is None
    assert sum(len(keys) for _, keys in verifier._keys.values()) == 2
    storage.close()
