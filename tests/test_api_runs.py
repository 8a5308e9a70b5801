"""POST /v1/runs (a real pipeline recompute), POST /v1/scenarios on its state, and GET /v1/models (a real
MLflow store). These run the forecasting pipeline on the small test tables, so they take seconds each.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from talentcast import service
from api.main import create_app
from talentcast.storage import Storage
from test_api_support import bearer, seed_storage, settings_for

pytestmark = pytest.mark.slow

EV_PLANT = {"id": "ev-plant", "name": "新能源汽车新工厂 / New EV plant", "changes": [
    {"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, "percent": 50,
     "years": {"from": 2025}}]}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("runs") / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage, with_run=False)
    keys = {"admin": storage.create_api_key("admin")[0],
            "planner": storage.create_api_key("planner", region="450200")[0],
            "school": storage.create_api_key("school", school="S001")[0]}
    app = create_app(settings)
    with TestClient(app) as client:
        response = client.post("/v1/runs", headers=bearer(keys["admin"]), json={"horizon": 3, "n_paths": 200, "track": False})
        yield {"client": client, "keys": keys, "storage": storage, "settings": settings, "run": response}
    storage.close()


def test_recompute_stores_a_complete_run_that_readers_then_see(env):
    response = env["run"]
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "complete" and run["horizon"] == 3
    assert run["dataset_versions"] == env["storage"].current_versions()
    stored = env["storage"].load_results("gaps", run_id=run["run_id"])
    assert set(stored["year"]) == {2024, 2025, 2026}  # employment ends in 2023, horizon 3
    body = env["client"].get("/v1/gaps", headers=bearer(env["keys"]["admin"]), params={"limit": 1000}).json()
    assert body["run_id"] == run["run_id"] and body["total"] == len(stored)
    served = pd.DataFrame(body["items"]).set_index(["region", "sector", "year"]).sort_index()
    expected = stored.assign(year=stored["year"].astype(int)).set_index(["region", "sector", "year"]).sort_index()
    assert served["gap_mean"].to_numpy() == pytest.approx(expected["gap_mean"].to_numpy())
    # Gaps that are not rated (no local supply) have no probability: served as null, stored as null.
    assert served["p_shortage"].to_numpy() == pytest.approx(expected["p_shortage"].to_numpy(), nan_ok=True)
    assert (served["p_shortage"].isna() == served["not_rated_reason"].notna()).all()
    warnings = env["client"].get("/v1/warnings", headers=bearer(env["keys"]["school"])).json()
    assert warnings["total"] == 2 and {w["school"] for w in warnings["items"]} == {"S001"}
    assert all(w["level"] in ("red", "yellow", "green") and w["explanation"] for w in warnings["items"])


def test_scenario_changes_the_targeted_gap_without_touching_stored_results(env):
    client, planner = env["client"], bearer(env["keys"]["planner"])
    runs_before = [r.run_id for r in env["storage"].runs()]
    baseline = client.get("/v1/gaps", headers=planner, params={"sector": "C36", "year": 2026}).json()["items"][0]
    response = client.post("/v1/scenarios", headers=planner, json=EV_PLANT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["baseline_run_id"] == runs_before[0] and body["scenario"]["id"] == "ev-plant"
    assert {g["region"] for g in body["gaps"]} == {"450200"}  # the planner's region only
    scenario_c36 = next(g for g in body["gaps"] if g["sector"] == "C36" and g["year"] == 2026)
    # 50% more employment in C36 means far more openings; graduate supply does not react within the horizon.
    assert scenario_c36["openings_mean"] > 1.3 * baseline["openings_mean"]
    assert scenario_c36["supply_mean"] == pytest.approx(baseline["supply_mean"], rel=1e-6)
    assert scenario_c36["p_shortage"] >= baseline["p_shortage"]
    assert len(body["warnings"]) == 4 and {w["school"] for w in body["warnings"]} == {"S001", "S002"}
    assert {w["plan_year"] for w in body["warnings"]} == {2024}  # the baseline run's plan year
    only_2026 = client.post("/v1/scenarios", headers=planner, json=EV_PLANT, params={"year": 2026}).json()
    assert {g["year"] for g in only_2026["gaps"]} == {2026} and only_2026["warnings"] == []
    # nothing stored: same runs, same baseline numbers
    assert [r.run_id for r in env["storage"].runs()] == runs_before
    again = client.get("/v1/gaps", headers=planner, params={"sector": "C36", "year": 2026}).json()["items"][0]
    assert again == baseline


def test_scenario_state_survives_a_restart_and_gives_the_same_numbers(env):
    planner = bearer(env["keys"]["planner"])
    first = env["client"].post("/v1/scenarios", headers=planner, json=EV_PLANT).json()
    service._STATES.clear()  # as after a restart: the state comes back from <home>/states/run-<id>.state.zip
    assert (env["settings"].home / "states").is_dir()
    with TestClient(create_app(env["settings"])) as fresh:
        second = fresh.post("/v1/scenarios", headers=planner, json=EV_PLANT).json()
    assert second["gaps"] == first["gaps"]


def test_a_planted_pickle_state_never_runs_code_in_the_server(env, tmp_path):
    """Whoever could write states/run-N.bin used to run code at the next scenario request (issue #15)."""
    import pickle
    import shutil

    run_id = env["run"].json()["run_id"]
    marker = tmp_path / "pwned"

    class RunsCode:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {marker}",))

    planner = bearer(env["keys"]["planner"])
    first = env["client"].post("/v1/scenarios", headers=planner, json=EV_PLANT).json()
    current = service.state_path(env["settings"].home, run_id)
    saved = current.read_bytes()
    assert saved[:2] == b"PK"
    try:
        for path in (current, service.legacy_state_path(env["settings"].home, run_id)):
            path.write_bytes(pickle.dumps(RunsCode()))
        service._STATES.clear()
        again = env["client"].post("/v1/scenarios", headers=planner, json=EV_PLANT)
        # Refitted from the run's own inputs (with the default number of paths, so the numbers differ a little).
        assert again.status_code == 200, again.text
        keys = lambda body: sorted((g["region"], g["sector"], g["year"]) for g in body["gaps"])  # noqa: E731
        assert keys(again.json()) == keys(first)
        assert not marker.exists()
        assert current.read_bytes()[:2] == b"PK"  # the rebuilt state replaced the planted file
    finally:
        service.legacy_state_path(env["settings"].home, run_id).unlink(missing_ok=True)
        current.write_bytes(saved)
        shutil.rmtree(marker, ignore_errors=True)


def test_a_planner_may_change_intake_and_parameters_of_its_own_schools(env):
    planner = bearer(env["keys"]["planner"])  # 450200: S001 and S002 are there, S003 is in 450100
    own = {"id": "own-schools", "name": "本市院校扩招", "changes": [
        {"kind": "intake", "target": {"school": "S001", "major": "460701"}, "value": 400, "years": {"from": 2024}},
        {"kind": "parameter", "parameter": "completion_rate", "target": {"school": "S002", "major": "460701"},
         "value": 0.9},
        {"kind": "parameter", "parameter": "replacement_rate", "target": {"sector": "C36", "region": "450200"},
         "value": 0.05}]}
    response = env["client"].post("/v1/scenarios", headers=planner, json=own)
    assert response.status_code == 200, response.text
    other = {**own, "changes": [{**own["changes"][0], "target": {"school": "S003", "major": "460701"}}]}
    response = env["client"].post("/v1/scenarios", headers=planner, json=other)
    assert response.status_code == 403 and "450100" in response.json()["detail"]


def test_scenario_errors_name_the_field(env):
    planner = bearer(env["keys"]["planner"])
    bad_percent = {**EV_PLANT, "changes": [{**EV_PLANT["changes"][0], "percent": "lots"}]}
    response = env["client"].post("/v1/scenarios", headers=planner, json=bad_percent)
    assert response.status_code == 400 and "changes[0].percent" in response.json()["detail"]
    unknown = {**EV_PLANT, "changes": [{**EV_PLANT["changes"][0], "target": {"region": "450200", "sector": "Z99"}}]}
    response = env["client"].post("/v1/scenarios", headers=planner, json=unknown)
    assert response.status_code == 400 and "Z99" in response.json()["detail"]


def test_models_lists_registered_versions_with_aliases_and_backtest_metrics(tmp_path):
    from mlflow.tracking import MlflowClient

    from talentcast.tracking import MODEL_NAME, track_run
    from talentcast.settings import get_settings

    run_id = track_run("backtest", {"method": "auto", "horizon": 3}, metrics={"auto.mase": 0.91, "naive.mase": 1.0})
    uri = get_settings().mlflow_tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(MODEL_NAME)
    version = client.create_model_version(MODEL_NAME, f"runs:/{run_id}/demand_model", run_id=run_id)
    client.set_model_version_tag(MODEL_NAME, version.version, "metric", "mase")
    client.set_model_version_tag(MODEL_NAME, version.version, "metric_value", "0.910000")
    client.set_model_version_tag(MODEL_NAME, version.version, "promoted", "true")
    client.set_registered_model_alias(MODEL_NAME, "champion", version.version)

    storage = Storage()
    token = storage.create_api_key("planner")[0]
    with TestClient(create_app()) as api:
        body = api.get("/v1/models", headers=bearer(token)).json()
        champions = api.get("/v1/models", headers=bearer(token), params={"alias": "champion"}).json()
        none = api.get("/v1/models", headers=bearer(token), params={"alias": "challenger"}).json()
    storage.close()
    assert body["total"] == 1 and champions["total"] == 1 and none["total"] == 0
    item = body["items"][0]
    assert item["name"] == MODEL_NAME and item["version"] == int(version.version)
    assert item["aliases"] == ["champion"] and item["promoted"] is True
    assert (item["metric"], item["metric_value"]) == ("mase", pytest.approx(0.91))
    assert item["metrics"]["auto.mase"] == pytest.approx(0.91) and item["metrics"]["naive.mase"] == 1.0
    assert item["run_id"] == run_id


def test_warnings_under_another_rule_set_are_the_same_rows_from_the_cli_and_the_api(env, monkeypatch, capsys):
    """Both doors recompute from the run's own results and dataset versions through the service."""
    import json

    from talentcast.settings import get_settings
    from test_cli_data import run_cli

    monkeypatch.setenv("TALENTCAST_HOME", str(env["settings"].home))
    get_settings.cache_clear()
    run_id = env["run"].json()["run_id"]
    code, out, err = run_cli(capsys, "warnings", "--rules", "moe-2011", "--format", "json")
    assert code == 0, err
    cli_rows = json.loads(out)
    body = env["client"].get("/v1/warnings", headers=bearer(env["keys"]["admin"]),
                             params={"rule_set": "moe-2011", "limit": 1000}).json()
    assert body["run_id"] == run_id and body["total"] == len(cli_rows) > 0
    assert {r["rule_set"] for r in cli_rows} == {w["rule_set"] for w in body["items"]} == {"moe-2011"}
    key = ("school", "major", "plan_year", "level", "action", "recommended_intake", "rules_fired")
    assert sorted(tuple(json.dumps(r[k]) for k in key) for r in cli_rows) == \
        sorted(tuple(json.dumps(w[k] if k != "recommended_intake" else int(w[k])) for k in key)
               for w in body["items"])
    stored = env["client"].get("/v1/warnings", headers=bearer(env["keys"]["admin"])).json()
    assert {w["rule_set"] for w in stored["items"]} != {"moe-2011"}  # the stored ones are another set's
    get_settings.cache_clear()
