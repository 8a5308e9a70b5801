"""Server-side faults (issue #15): a read-only home, a damaged MLflow store, a run killed mid-way.

Each ends in one line naming the path and what to do (CLI exit 2; API 503 with a JSON error), /v1/health
says which store fails, and a run left RUNNING by a killed process is closed at the next start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from talentcast import tracking
from talentcast.settings import get_settings
from talentcast.storage import Storage
from test_api_support import bearer, seed_storage, settings_for
from test_cli_data import run_cli

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def read_only(*paths: Path):
    """Make `paths` read-only for this process, even as root (chattr +i: immutable), and undo it after."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"running as root, and `chattr +i` (e2fsprogs) could not make {paths} read-only: "
                    f"{done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)



@pytest.mark.parametrize("command", [["datasets"], ["keys", "list"], ["keys", "create", "--role", "admin"],
                                     ["run", "--quiet", "--no-track"], ["warnings"]])
def test_a_read_only_home_is_one_line_naming_the_path_for_every_command(isolated_home, capsys, command):
    isolated_home.mkdir(parents=True)
    with read_only(isolated_home):
        code, out, err = run_cli(capsys, *command)
    assert code == 2, err
    assert err.startswith("error: the database ") and err.count("\n") == 1 and "Traceback" not in err
    assert str(isolated_home / "talentcast.db") in err and "--home" in err and "SELECT" not in err


def test_a_read_only_database_refuses_writes_in_one_line_and_keeps_reading(isolated_home, capsys):
    with Storage() as storage:
        seed_storage(storage, with_run=False)
        versions = storage.current_versions()
    database = isolated_home / "talentcast.db"
    # The folder stays writable (SQLite's WAL index lives beside the file); only the database file is not.
    with read_only(database):
        code, out, err = run_cli(capsys, "datasets")
        assert code == 0 and "regions" in out
        code, out, err = run_cli(capsys, "keys", "create", "--role", "admin")
        assert code == 2 and err.count("\n") == 1 and str(database) in err, err
        assert "readonly" in err or "read-only" in err
    with Storage() as storage:
        assert storage.current_versions() == versions and storage.list_api_keys() == []


def test_a_home_under_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    code, out, err = run_cli(capsys, "--home", str(blocker / "home"), "datasets")
    assert code == 2 and err.count("\n") == 1 and str(blocker) in err and "Traceback" not in err


@pytest.fixture
def damaged_mlflow(isolated_home) -> Path:
    store = isolated_home / "mlflow.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"this is not a database, it was damaged " * 200)
    return store


def test_a_damaged_mlflow_store_stops_a_run_before_it_computes(damaged_mlflow, capsys):
    with Storage() as storage:
        seed_storage(storage, with_run=False)
    started = time.monotonic()
    code, out, err = run_cli(capsys, "run", "--quiet")
    assert code == 2 and err.count("\n") == 1, err
    assert f"the MLflow store {damaged_mlflow} cannot be used: file is not a database" in err
    assert f"mv {damaged_mlflow} {damaged_mlflow}.broken" in err and "SELECT" not in err
    assert time.monotonic() - started < 30  # refused before the pipeline, not after it
    with Storage() as storage:
        assert storage.runs() == []


def test_a_damaged_mlflow_store_is_a_503_and_health_says_degraded(damaged_mlflow, isolated_home):
    settings = settings_for(isolated_home)
    with Storage(settings.database_url) as storage:
        seed_storage(storage)
        admin = storage.create_api_key("admin")[0]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        models = client.get("/v1/models", headers=bearer(admin))
        assert models.status_code == 503, models.text
        assert str(damaged_mlflow) in models.json()["detail"] and "SELECT" not in models.json()["detail"]
        health = client.get("/v1/health")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded" and body["database"] == "ok"
        assert str(damaged_mlflow) in body["tracking"] and "not a database" in body["tracking"]
        assert client.get("/v1/gaps", headers=bearer(admin)).status_code == 200  # results are still served
        damaged_mlflow.unlink()
        assert client.get("/v1/health").json()["status"] == "ok"


def test_health_is_503_when_the_database_cannot_be_used(isolated_home):
    settings = settings_for(isolated_home)
    (isolated_home / "talentcast.db").write_bytes(b"damaged " * 1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        health = client.get("/v1/health")
        assert health.status_code == 503
        assert health.json()["status"] == "failing" and "talentcast.db" in health.json()["database"]
        response = client.get("/v1/regions", headers=bearer("tc_abcdefgh_" + "x" * 32))
        assert response.status_code == 503 and "talentcast.db" in response.json()["detail"]


_KILLED_TRACKER = """
import sys, time
from talentcast import tracking
_, client, experiment = tracking._client()
run = client.create_run(experiment, tags={"talentcast.kind": "forecast", **tracking.owner_tags()})
print(run.info.run_id, flush=True)
time.sleep(120)
"""


@pytest.mark.slow
def test_a_run_left_running_by_a_killed_process_is_closed_at_the_next_start(isolated_home):
    from mlflow.tracking import MlflowClient

    env = {**os.environ, "TALENTCAST_HOME": str(isolated_home), "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", _KILLED_TRACKER], stdout=subprocess.PIPE, text=True, env=env,
                             cwd=REPO)
    run_id = child.stdout.readline().strip()
    # A live owner's run is left alone ...
    tracking._CLEANED.clear()
    tracking._client()
    client = MlflowClient(tracking_uri=get_settings().mlflow_tracking_uri)
    assert client.get_run(run_id).info.status == "RUNNING"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert client.get_run(run_id).info.status == "RUNNING"  # what SIGKILL leaves behind
    # ... and the next start closes the run of the killed one.
    tracking._CLEANED.clear()
    tracking._client()
    run = client.get_run(run_id)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert "owner process ended" in run.data.tags["talentcast.closed"]
