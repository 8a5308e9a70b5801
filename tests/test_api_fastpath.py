"""api.fastpath.CachedPages: repeated result reads answered before routing, with every check kept.

The memo is keyed by path, raw query, caller, Accept-Language and data snapshot; these tests show that a
remembered page is sent only to a request that would get the very same page the normal way.
"""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.fastpath import CachedPages
from api.main import create_app
from api.security import KeyVerifier
from talentcast.storage import RunMeta, Storage
from test_api_support import bearer, gap_results, make_keys, seed_storage, settings_for, warning_results


def memo(app) -> CachedPages:
    layer = app.middleware_stack
    while not isinstance(layer, CachedPages):
        layer = layer.app
    return layer


def test_repeated_reads_are_answered_from_memory_with_the_same_response(tmp_path):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage)
    keys = make_keys(storage)
    app = create_app(settings)
    with TestClient(app) as client:
        # The first requests load the key and the snapshot pointers; from then on the page is remembered.
        first, *repeats = [client.get("/v1/warnings", headers=bearer(keys["school"]), params={"level": "red"})
                           for _ in range(4)]
        assert memo(app).hits >= 1
        for again in repeats:
            assert again.status_code == first.status_code == 200
            assert again.content == first.content
            assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
            assert again.headers["content-length"] == str(len(first.content))
        remembered = len(memo(app)._responses)
        # Another language, caller or query is another page.
        english, _ = (client.get("/v1/warnings", headers={**bearer(keys["school"]), "Accept-Language": "en"},
                             params={"level": "red"}) for _ in range(2))
        assert english.status_code == 200 and english.content != first.content
        admin, _, _ = (client.get("/v1/warnings", headers=bearer(keys["admin"]), params={"level": "red"})
                       for _ in range(3))
        assert {i["school"] for i in admin.json()["items"]} >= {i["school"] for i in first.json()["items"]}
        assert len(memo(app)._responses) == remembered + 2
    storage.close()


def test_refusals_are_never_remembered_and_scopes_still_apply(tmp_path):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage)
    keys = make_keys(storage)
    app = create_app(settings)
    with TestClient(app) as client:
        # The admin's page for S003 is remembered; the S001 school key asking the same still gets 404.
        for _ in range(3):
            assert client.get("/v1/warnings", headers=bearer(keys["admin"]),
                              params={"school": "S003"}).status_code == 200
        hits = memo(app).hits
        assert hits >= 1
        for _ in range(3):
            assert client.get("/v1/warnings", headers=bearer(keys["school"]),
                              params={"school": "S003"}).status_code == 404
            assert client.get("/v1/gaps", headers=bearer(keys["school"])).status_code == 403
            assert client.get("/v1/gaps", params={"limit": 0}, headers=bearer(keys["admin"])).status_code == 422
            assert client.get("/v1/gaps").status_code == 401
        assert len(memo(app)._responses) == 1 and memo(app).hits == hits
    storage.close()


def test_a_revoked_key_is_refused_even_for_a_remembered_page(tmp_path):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage)
    token, key = storage.create_api_key("planner", region="450200")
    app = create_app(settings)
    app.state.key_verifier = KeyVerifier(ttl_seconds=0.2)  # production: 5 s
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/v1/gaps", headers=bearer(token)).status_code == 200
        assert memo(app).hits >= 1
        other_process = Storage(settings.database_url)
        other_process.revoke_api_key(key.prefix)
        other_process.close()
        statuses = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (not statuses or statuses[-1] != 401):
            statuses.append(client.get("/v1/gaps", headers=bearer(token)).status_code)
            time.sleep(0.1)
    assert statuses[-1] == 401
    assert set(statuses) <= {200, 401}
    storage.close()


def test_a_new_run_is_served_after_a_remembered_page_of_the_old_one(tmp_path):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    first = seed_storage(storage)
    token = storage.create_api_key("admin")[0]
    app = create_app(settings)
    with TestClient(app) as client:
        before = [client.get("/v1/gaps", headers=bearer(token)).json() for _ in range(3)]
        assert memo(app).hits >= 1
        second = storage.save_run({"gaps": gap_results().assign(gap_mean=lambda f: f.gap_mean + 1000),
                                   "warnings": warning_results()},
                                  RunMeta(dataset_versions=storage.current_versions(), horizon=3))
        app.state.read_cache.invalidate_pointers()  # as after POST /v1/runs; other writers: within 1 s
        after = [client.get("/v1/gaps", headers=bearer(token)).json() for _ in range(3)]
        # the old run's page is dropped when the new run's is remembered (it would never be asked for again)
        assert [key[0] for key in memo(app)._responses] == ["/v1/gaps"]
    assert before[0] == before[1] == before[2] and before[0]["run_id"] == first
    assert after[0] == after[1] == after[2] and after[0]["run_id"] == second
    assert [i["gap_mean"] + 1000 for i in before[0]["items"]] == [i["gap_mean"] for i in after[0]["items"]]
    storage.close()
