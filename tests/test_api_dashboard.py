"""The routes the web dashboard adds (/v1/me, /v1/data-sources, /v1/sectors/{s}/context, /v1/keys, / and /web/...):
roles and scope as the rest of the API, and the numbers on the small known database of test_api_support."""

from __future__ import annotations

import pandas as pd
import pytest

from talentcast.dashboard import last_real_year, synthetic_mask
from test_api_support import bearer, seeded_api


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with seeded_api(tmp_path_factory.mktemp("dashboard") / "home") as api:
        yield api.client, api.keys


def get(env, path, who, **params):
    client, keys = env
    return client.get(path, params=params, headers=bearer(keys[who]))


def test_me_says_role_and_scope(env):
    assert get(env, "/v1/me", "planner").json() == {"role": "planner", "region": "450200", "school": None,
                                                   "name": "柳州教育局"}
    assert get(env, "/v1/me", "school").json()["school"] == "S001"
    assert env[0].get("/v1/me").status_code == 401


def test_sector_context_numbers_and_scope(env):
    body = get(env, "/v1/sectors/C36/context", "planner").json()
    # C36 is fed by 460701 (weight 1): S001 and S002 of 柳州, (200 + 80) graduates x 0.36 entering in 2024
    by_year = {(r["major"], r["year"]): r["entrants"] for r in body["supply_by_major"]}
    assert by_year == pytest.approx({("460701", 2024): 100.8, ("460701", 2025): 101.52, ("460701", 2026): 102.24})
    assert body["supply_by_major"][0]["major_name_zh"] == "新能源汽车技术"
    history = body["history"]
    assert [h["year"] for h in history] == list(range(2014, 2024)) and history[0]["employed"] == 20000
    assert all(h["generated"] for h in history)  # the test tables are marked synthetic
    assert body["parameters"] == []  # no sector_parameters table in this database
    assert get(env, "/v1/sectors/C36/context", "planner", region="450100").status_code == 403
    assert get(env, "/v1/sectors/C36/context", "school", region="450200").status_code == 403
    assert get(env, "/v1/sectors/C36/context", "planner_gx", region="450200").status_code == 200
    missing = get(env, "/v1/sectors/C36/context", "admin")
    assert missing.status_code == 400 and "region" in missing.json()["detail"]


def test_data_sources_kinds(env):
    items = {i["table"]: i for i in get(env, "/v1/data-sources", "planner").json()["items"]}
    assert items["employment"]["kind"] == "generated" and items["employment"]["last_real_year"] is None
    assert items["regions"]["version"] == 1 and items["regions"]["rows"] == 4
    assert get(env, "/v1/data-sources", "school").status_code == 403


def test_keys_admin_only_and_revocation_takes_effect(env):
    client, keys = env
    assert get(env, "/v1/keys", "planner").status_code == 403
    created = client.post("/v1/keys", json={"role": "school", "school": "S002", "name": "城职"},
                          headers=bearer(keys["admin"]))
    assert created.status_code == 201
    secret = created.json()["key"]
    assert client.get("/v1/warnings", headers=bearer(secret)).json()["total"] == 2
    listed = get(env, "/v1/keys", "admin").json()
    assert secret not in str(listed) and listed["items"][-1]["prefix"] == created.json()["prefix"]
    bad = client.post("/v1/keys", json={"role": "school"}, headers=bearer(keys["admin"]))
    assert bad.status_code == 400 and "--school" in bad.json()["detail"]
    revoked = client.delete(f"/v1/keys/{created.json()['prefix']}", headers=bearer(keys["admin"]))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.delete("/v1/keys/nosuchkey", headers=bearer(keys["admin"])).status_code == 404
    # Unicode digits that int() refuses ('²', found by schemathesis: a 500) or reads ('４２') are prefixes, not ids.
    for odd in ("²", "４２", "٣"):
        assert client.delete(f"/v1/keys/{odd}", headers=bearer(keys["admin"])).status_code == 404


def test_page_and_assets_are_served_offline(env):
    client, _ = env
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the internet
    font = client.get("/web/fonts/cjk.ttf", headers={"Accept-Encoding": "gzip"})
    assert font.headers["content-type"] == "font/ttf" and font.headers["content-encoding"] == "gzip"
    assert font.content[:4] == b"\x00\x01\x00\x00"  # httpx has decoded the gzip: a TrueType file
    raw = client.get("/web/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and "fetch(" in raw.text
    assert client.get("/web/vendor/echarts/LICENSE").status_code == 200
    for path in ("/web/../main.py", "/web/%2e%2e/main.py", "/web/nope.js"):
        assert client.get(path).status_code == 404


def test_synthetic_rows_mark_the_generated_years():
    frame = pd.DataFrame({"region": ["450200"] * 6 + ["450100"] * 2, "year": [2013, 2014, 2015, 2016, 2017, 2018, 2014, 2020]})
    metadata = {"kind": "generated", "synthetic_rows": "region == '450200' and year > 2015"}
    assert synthetic_mask(frame, metadata).tolist() == [False, False, False, True, True, True, False, False]
    assert last_real_year(frame, metadata, "450200") == 2015
    assert last_real_year(frame, metadata, None) == 2020
    assert last_real_year(frame, {"kind": "generated"}, "450200") is None  # generated without a row rule: all
    assert last_real_year(frame, {"kind": "real"}, "450200") == 2018
