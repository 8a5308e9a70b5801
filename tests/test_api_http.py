"""Real HTTP: `talentcast serve` in a subprocess, httpx over loopback, `talentcast keys` on the same database.

Also the durability promise: an upload that was answered 201 survives the server being killed (SIGKILL)
right after, because the version is committed before the response is sent.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from talentcast.storage import Storage
from test_api_support import REGIONS, bearer, free_port, seed_storage, start_server
from test_cli_data import run_cli

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def server_env(isolated_home):
    env = {**os.environ, "TALENTCAST_HOME": str(isolated_home), "MLFLOW_DISABLE_TELEMETRY": "true",
           "PYTHONPATH": str(REPO)}
    env.pop("TALENTCAST_DATABASE_URL", None)
    return env


@pytest.fixture
def server_env_on(db_url, server_env, monkeypatch):
    """server_env on SQLite, then on PostgreSQL (the server and this test's Storage() share the URL)."""
    if db_url.startswith("postgresql"):
        monkeypatch.setenv("TALENTCAST_DATABASE_URL", db_url)
        from talentcast.settings import get_settings

        get_settings.cache_clear()
        return {**server_env, "TALENTCAST_DATABASE_URL": db_url}
    return server_env



def test_keys_cli_create_list_revoke(capsys):
    # Before any schools are stored a school key has nothing to be scoped to: refused, nothing created.
    code, _, err = run_cli(capsys, "keys", "create", "--role", "school", "--school", "S001")
    assert code == 2 and "ingest schools first" in err and err.count("\n") == 1
    with Storage() as storage:
        seed_storage(storage, with_run=False)
        assert storage.list_api_keys() == []
    code, out, err = run_cli(capsys, "keys", "create", "--role", "school", "--school", "S001", "--name", "柳职院")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("tc_") and "school S001" in err
    code, listed, _ = run_cli(capsys, "keys", "list")
    assert "S001" in listed and "active" in listed and "柳职院" in listed
    assert token not in listed  # the secret is never shown again
    prefix = token.split("_")[1]
    code, out, _ = run_cli(capsys, "keys", "revoke", prefix)
    assert code == 0 and prefix in out
    assert "revoked" in run_cli(capsys, "keys", "list")[1]
    with Storage() as storage:
        assert storage.verify_api_key(token) is None
        assert [k.role for k in storage.list_api_keys()] == ["school"]
    # user errors: one line, exit 2, no traceback
    code, _, err = run_cli(capsys, "keys", "create", "--role", "school")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    code, _, err = run_cli(capsys, "keys", "create", "--role", "root")
    assert code == 2 and "root" in err
    code, _, err = run_cli(capsys, "keys", "revoke", "nosuchkey")
    assert code == 2 and "nosuchkey" in err


@pytest.mark.parametrize("args, message", [
    (["--role", "planner", "--region", ""], "--region is empty"),          # was: a planner for every region
    (["--role", "planner", "--region", "  "], "--region is empty"),
    (["--role", "planner", "--region", "999999"], "--region 999999: not a code of the stored regions"),
    (["--role", "school", "--school", "S999"], "--school S999: not a code of the stored schools"),
    (["--role", "school", "--school", "S001", "--region", "450100"], "--region is only for --role planner"),
    (["--role", "admin", "--region", "450200"], "--region is only for --role planner"),
])
def test_keys_create_refuses_scopes_that_are_empty_or_not_stored(capsys, args, message):
    with Storage() as storage:
        seed_storage(storage, with_run=False)
    code, out, err = run_cli(capsys, "keys", "create", *args)
    assert code == 2 and message in err and err.count("\n") == 1 and out == ""
    with Storage() as storage:
        assert storage.list_api_keys() == []
    code, out, err = run_cli(capsys, "keys", "create", "--role", "planner", "--region", "450200")
    assert code == 0 and "region 450200" in err


@pytest.mark.slow
def test_served_over_http_and_acknowledged_upload_survives_a_kill(server_env_on):
    server_env = server_env_on
    with Storage() as storage:  # no data yet: the server must still start and say what to do
        admin = storage.create_api_key("admin")[0]
    port = free_port()
    server = start_server(server_env, port, log_level="info")  # info: with the access log
    base = f"http://127.0.0.1:{port}"
    try:
        health = httpx.get(f"{base}/v1/health").json()
        assert health["latest_run_id"] is None and "talentcast demo" in health["hint"]
        assert httpx.get(f"{base}/v1/regions").status_code == 401
        # A key in the query string is refused, and its secret does not reach the access log.
        assert httpx.get(f"{base}/v1/regions", params={"api_key": admin, "q": "x"}).status_code == 401
        assert httpx.get(f"{base}/v1/regions?{admin}").status_code == 401
        with Storage() as storage:
            seed_storage(storage)
        with httpx.Client(base_url=base, headers=bearer(admin), timeout=30) as client:
            deadline = time.monotonic() + 5  # the server re-reads "latest run" at most once a second
            while client.get("/v1/health").json()["latest_run_id"] is None and time.monotonic() < deadline:
                time.sleep(0.2)
            gaps = client.get("/v1/gaps", params={"region": "450200", "year": 2025},
                              headers={"Accept-Language": "en"}).json()
            assert gaps["total"] == 2 and gaps["items"][0]["sector_name"] == "Automobile manufacturing"
            data = REGIONS.to_csv(index=False).encode("gb18030")
            response = client.post("/v1/datasets/regions", files={"file": ("regions.csv", data, "text/csv")})
            assert response.status_code == 201 and response.json()["version"] == 2
    finally:
        server.send_signal(signal.SIGKILL)  # no graceful shutdown
        output = server.communicate(timeout=30)[0]
    # started on an empty database, it said how to load data
    assert "talentcast demo" in output and "talentcast ingest" in output
    secret, prefix = admin.split("_")[2], admin.split("_")[1]
    assert "/v1/regions?api_key=***&q=x" in output and f"/v1/regions?tc_{prefix}_***" in output
    assert secret not in output
    with Storage() as storage:
        assert storage.current_versions()["regions"] == 2
        assert storage.load_table("regions")["name_zh"].tolist() == REGIONS["name_zh"].tolist()
