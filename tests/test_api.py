"""The HTTP API through TestClient against a real SQLite file filled through the Storage API.

Module-scoped: one database with known numbers (tests/test_api_support.py) serves the read-only tests;
tests that write get their own database.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from talentcast.storage import RunMeta, Storage
from test_api_support import (
    bearer,
    demand_results,
    gap_results,
    seed_storage,
    seeded_api,
    settings_for,
    supply_results,
    warning_results,
)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with seeded_api(tmp_path_factory.mktemp("api") / "home") as api:
        yield {"client": api.client, "keys": api.keys, "run_id": api.run_id, "storage": api.storage, "app": api.app}


def get(env, path, who="admin", lang=None, **params):
    headers = bearer(env["keys"][who]) if who else {}
    if lang:
        headers["Accept-Language"] = lang
    return env["client"].get(path, headers=headers, params=params)


# --- health and reference lists -----------------------------------------------------------------------


def test_health_needs_no_key_and_reports_data(env):
    body = get(env, "/v1/health", who=None).json()
    assert body["status"] == "ok"
    assert body["latest_run_id"] == env["run_id"]
    assert body["datasets"]["regions"] == 1 and body["datasets"]["enrolment"] == 1
    assert body["hint"] is None


def test_health_on_empty_database_says_how_to_load_data(tmp_path):
    app = create_app(settings_for(tmp_path / "empty"))
    with TestClient(app) as client:
        body = client.get("/v1/health").json()
    assert body["latest_run_id"] is None and body["datasets"] == {}
    assert "talentcast demo" in body["hint"] and "talentcast ingest" in body["hint"]


def test_regions_names_follow_accept_language(env):
    zh = get(env, "/v1/regions", who="school").json()
    en = get(env, "/v1/regions", who="school", lang="en-US,en;q=0.9").json()
    assert zh["total"] == 4 and zh["generated"] is True
    assert {r["code"]: r["name"] for r in zh["items"]}["450200"] == "柳州市"
    assert {r["code"]: r["name"] for r in en["items"]}["450200"] == "Liuzhou"
    # q-values decide: Chinese preferred over English
    prefer_zh = get(env, "/v1/regions", lang="en;q=0.5,zh-CN;q=0.9").json()
    assert {r["code"]: r["name"] for r in prefer_zh["items"]}["450200"] == "柳州市"


def test_reference_filters_and_pagination(env):
    children = get(env, "/v1/regions", parent="450000").json()
    assert sorted(r["code"] for r in children["items"]) == ["450100", "450200"]
    page = get(env, "/v1/regions", limit=1, offset=1).json()
    assert page["total"] == 4 and page["limit"] == 1 and page["offset"] == 1
    assert [r["code"] for r in page["items"]] == ["450100"]  # sorted by code
    schools = get(env, "/v1/schools", region="450200").json()
    assert [s["code"] for s in schools["items"]] == ["S001", "S002"]
    assert schools["items"][0]["name_zh"] == "柳州职业技术学院"
    search = get(env, "/v1/schools", q="南宁").json()
    assert [s["code"] for s in search["items"]] == ["S003"]
    sectors = get(env, "/v1/sectors", parent="C", lang="en").json()
    assert [(s["code"], s["name"]) for s in sectors["items"]] == [("C36", "Automobile manufacturing")]


def test_missing_english_name_falls_back_to_chinese(env):
    majors = get(env, "/v1/majors", lang="en").json()
    names = {m["code"]: m["name"] for m in majors["items"]}
    assert names == {"440301": "建筑工程技术", "460701": "New energy vehicle technology"}
    assert get(env, "/v1/majors", level="中职").json()["total"] == 0


# --- results ------------------------------------------------------------------------------------------


def test_demand_forecasts_filtered_by_region_sector_and_years(env):
    body = get(env, "/v1/forecasts/demand", region="450200", sector="C36", **{"from": 2025, "to": 2026}).json()
    assert body["run_id"] == env["run_id"] and body["mlflow_run_id"] == "abc123"
    # every test table is stored with {"synthetic": true}: the page says its inputs are generated
    assert "enrolment" in body["generated_inputs"] and "regions" in body["generated_inputs"]
    assert body["total"] == 2
    expected = demand_results()
    expected = expected[(expected.region == "450200") & (expected.sector == "C36") & (expected.year >= 2025)]
    for item, (_, row) in zip(body["items"], expected.iterrows()):
        assert item["year"] == row.year
        assert item["graduate_openings_mean"] == pytest.approx(row.graduate_openings_mean)
        assert item["graduate_openings_lo_80"] == pytest.approx(row.graduate_openings_lo_80)
        assert item["graduate_openings_hi_95"] == pytest.approx(row.graduate_openings_hi_95)
        assert item["model"] == "ets"
        assert item["sector_name"] == "汽车制造业" and item["region_name"] == "柳州市"


def test_planner_sees_only_its_region(env):
    city = get(env, "/v1/forecasts/demand", who="planner").json()
    assert city["total"] == 6 and {i["region"] for i in city["items"]} == {"450200"}
    province = get(env, "/v1/gaps", who="planner_gx", year=2025).json()
    assert province["total"] == 4 and {i["region"] for i in province["items"]} == {"450100", "450200"}
    assert get(env, "/v1/gaps", who="planner", region="450100").status_code == 403
    assert get(env, "/v1/gaps", who="planner", region="450000").status_code == 403  # the parent is wider
    assert get(env, "/v1/gaps", who="planner_gx", region="450200").status_code == 200


def test_gaps_report_gap_ratio_probability_and_intervals(env):
    body = get(env, "/v1/gaps", region="450200", year=2025, lang="en").json()
    assert body["total"] == 2
    c36 = next(i for i in body["items"] if i["sector"] == "C36")
    assert c36["gap_mean"] == pytest.approx(250.0)
    assert (c36["gap_lo_95"], c36["gap_lo_80"], c36["gap_hi_80"], c36["gap_hi_95"]) == (180.0, 210.0, 290.0, 320.0)
    assert c36["ratio_median"] == pytest.approx(2.0)
    assert c36["p_shortage"] == pytest.approx(0.83) and c36["shortage_threshold"] == 1.2
    assert c36["sector_name"] == "Automobile manufacturing"
    assert len(gap_results()[lambda f: f.year == 2025]) == get(env, "/v1/gaps", year=2025).json()["total"]


def test_supply_for_a_school_key_is_its_own_school_only(env):
    own = get(env, "/v1/forecasts/supply", who="school").json()
    assert own["total"] == 6 and {i["school"] for i in own["items"]} == {"S001"}
    first = own["items"][0]
    assert first["school_name"] == "柳州职业技术学院"
    assert first["graduate_entrants"] == pytest.approx(first["expected_graduates"] * 0.36)
    assert get(env, "/v1/forecasts/supply", who="school", school="S002").status_code == 404
    filtered = get(env, "/v1/forecasts/supply", school="S003", major="460701", **{"from": 2026}).json()
    expected = supply_results()
    expected = expected[(expected.school == "S003") & (expected.major == "460701") & (expected.year >= 2026)]
    assert filtered["total"] == len(expected) == 1
    assert filtered["items"][0]["expected_graduates"] == pytest.approx(expected.expected_graduates.iloc[0])


def test_warnings_carry_level_action_intakes_rules_evidence_and_explanation(env):
    body = get(env, "/v1/warnings", who="school", lang="en").json()
    assert body["total"] == 2
    red = next(i for i in body["items"] if i["level"] == "red")
    assert red["school"] == "S001" and red["major"] == "440301" and red["action"] == "shrink"
    assert (red["current_intake"], red["recommended_intake"]) == (160.0, 120.0)
    assert red["rules_fired"] == ["forecast_surplus", "moe_2011"]
    assert red["evidence"] == {"p_shortage": 0.02, "employment_rate": 0.8}
    assert red["explanation"] == "S001 440301 forecast surplus"
    assert red["explanation_zh"] == "S001 440301 预测过剩"
    assert red["level_zh"] == "红牌" and red["target_year"] == 2028
    zh = get(env, "/v1/warnings", who="school", level="red").json()
    assert zh["total"] == 1 and zh["items"][0]["explanation"] == "S001 440301 预测过剩"


def test_warnings_filters_and_scopes(env):
    assert get(env, "/v1/warnings").json()["total"] == len(warning_results())
    assert get(env, "/v1/warnings", who="planner").json()["total"] == 4  # S001 + S002 in 柳州
    assert get(env, "/v1/warnings", major="460701", level="green", year=2025).json()["total"] == 3
    assert get(env, "/v1/warnings", year=2030).json()["total"] == 0
    assert get(env, "/v1/warnings", who="school", school="S003").status_code == 404
    assert get(env, "/v1/warnings", who="school3", school="S003").json()["total"] == 2
    assert get(env, "/v1/warnings", who="planner", school="S003").json()["total"] == 0  # 南宁: not its region
    assert get(env, "/v1/warnings", level="purple").status_code == 422


def test_pagination_limits(env):
    page = get(env, "/v1/warnings", limit=4, offset=4).json()
    assert page["total"] == 6 and len(page["items"]) == 2
    all_rows = get(env, "/v1/warnings").json()["items"]
    first = get(env, "/v1/warnings", limit=4).json()["items"]
    assert [(i["school"], i["major"]) for i in first + page["items"]] == [(i["school"], i["major"]) for i in all_rows]
    assert get(env, "/v1/warnings", limit=0).status_code == 422
    assert get(env, "/v1/warnings", limit=1001).status_code == 422
    assert get(env, "/v1/warnings", offset=-1).status_code == 422


def test_unknown_run_id_is_404(env):
    response = get(env, "/v1/gaps", run_id=999)
    assert response.status_code == 404 and "999" in response.json()["detail"]
    assert get(env, "/v1/gaps", run_id=env["run_id"]).json()["run_id"] == env["run_id"]


def test_datasets_and_runs_lists(env):
    datasets = get(env, "/v1/datasets").json()
    assert datasets["total"] == 7
    assert {d["table"] for d in datasets["items"]} >= {"regions", "enrolment", "major_sector_map"}
    assert get(env, "/v1/datasets", table="regions").json()["items"][0]["rows"] == 4
    assert get(env, "/v1/datasets", table="nope").status_code == 404
    runs = get(env, "/v1/runs", who="planner").json()
    assert runs["total"] == 1 and runs["items"][0]["horizon"] == 3
    assert runs["items"][0]["dataset_versions"]["enrolment"] == 1


# --- consistency and errors ---------------------------------------------------------------------------


def test_a_new_run_switches_readers_atomically_and_old_run_stays_readable(tmp_path):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    first = seed_storage(storage)
    token = storage.create_api_key("admin")[0]
    app = create_app(settings)
    with TestClient(app) as client:
        before = client.get("/v1/gaps", headers=bearer(token), params={"year": 2025}).json()
        changed = gap_results().assign(gap_mean=lambda f: f.gap_mean + 1000)
        second = storage.save_run({"gaps": changed, "warnings": warning_results()},
                                  RunMeta(dataset_versions=storage.current_versions(), horizon=3))
        app.state.read_cache.invalidate_pointers()  # as after POST /v1/runs; other writers: within 1 s
        after = client.get("/v1/gaps", headers=bearer(token), params={"year": 2025}).json()
        pinned = client.get("/v1/gaps", headers=bearer(token), params={"year": 2025, "run_id": first}).json()
    assert before["run_id"] == first and after["run_id"] == second
    assert [i["gap_mean"] + 1000 for i in before["items"]] == [i["gap_mean"] for i in after["items"]]
    assert pinned["items"] == before["items"]
    storage.close()


def test_internal_errors_hide_details(tmp_path, caplog):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage)
    token = storage.create_api_key("admin")[0]
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/v1/health")  # opens the app's storage
        app_storage = next(iter(app.state.storages.values()))

        def broken(*args, **kwargs):
            raise RuntimeError("SELECT secret FROM api_keys -- boom")

        app_storage.load_results = broken
        response = client.get("/v1/gaps", headers=bearer(token))
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert "SELECT" not in response.text and "Traceback" not in response.text
    assert any("SELECT secret" in (r.exc_text or "") for r in caplog.records)
    storage.close()


def test_reads_during_recomputes_never_mix_two_runs(tmp_path):
    """While runs are being stored, every answer holds the rows of exactly the run it names."""
    import threading
    import time

    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage, with_run=False)
    token = storage.create_api_key("admin")[0]
    base = gap_results()
    offsets = {}

    def store_runs():
        for k in range(1, 7):
            offsets[k] = 1000 * k  # run ids are 1, 2, ... in a new database
            run_id = storage.save_run({"gaps": base.assign(gap_mean=base.gap_mean + 1000 * k)},
                                      RunMeta(dataset_versions=storage.current_versions(), horizon=3))
            assert run_id == k
            time.sleep(0.15)  # let readers see each run

    app = create_app(settings)
    answers = []
    with TestClient(app) as client:
        writer = threading.Thread(target=store_runs)
        writer.start()
        while writer.is_alive() or len(answers) < 5:
            app.state.read_cache.invalidate_pointers()  # follow every new run at once
            answers.append(client.get("/v1/gaps", headers=bearer(token), params={"year": 2025}).json())
        writer.join()
    expected = base[base.year == 2025].gap_mean.tolist()
    seen = set()
    for body in answers:
        if body["run_id"] is None:
            continue
        seen.add(body["run_id"])
        assert sorted(i["gap_mean"] for i in body["items"]) == sorted(g + offsets[body["run_id"]] for g in expected)
    assert len(seen) >= 2  # the readers did see runs change under them
    storage.close()
