"""Fault injection: SIGKILL at random points of ingest, run and upload; is everything consistent after?

    nice -n 10 .venv/bin/python benchmarks/fault_injection.py [--trials 100] [--home DIR] [--seed 15]
        [--kinds ingest,run,upload[,run-open]]

Issue #15. Each trial starts one real process and kills it (SIGKILL: no clean-up of any kind) after a random
delay drawn uniformly over that operation's measured duration:
    ingest   `talentcast ingest enrolment FILE` (a changed enrolment table each time)
    run      `talentcast run --paths 200 --horizon 3` with MLflow tracking (the kill may land while MLflow
             runs are open: the "RUNNING forever" finding)
    run-open the same run, killed 0-0.5 s after its MLflow run appears RUNNING in the store (uniform delays over
             a whole run rarely land in that window)
    upload   `talentcast serve`, then POST /v1/datasets/enrolment; the server is killed while it works
Then "the next start" (what `talentcast serve` / `talentcast run` do on opening: Storage() and the MLflow
store's orphan clean-up, talentcast.tracking.close_orphaned_runs) and these checks:
    database  every dataset version has exactly `rows` data rows and versions count 1..N without gaps; every
              run is complete and has its gaps rows; nothing else changed
    MLflow    no run is RUNNING; every stored run's MLflow run exists and is FINISHED
    states    every saved fitted state loads (data-only format; written by atomic rename)
The data are the small test tables of tests/test_api_support.py (GENERATED for tests), so that a run takes
seconds; the storage and tracking code paths are those of any data size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from test_api_support import free_port  # noqa: E402  (tests/ is on the path above)

CLI = [sys.executable, "-c", "from talentcast.cli import main; main()"]


def prepare(home: Path) -> tuple[Path, str]:
    """A home with the test tables (no run yet) and an admin key; returns (enrolment CSV, admin key)."""
    from test_api_support import enrolment_frame, seed_storage

    from talentcast.settings import get_settings
    from talentcast.storage import Storage

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ["TALENTCAST_HOME"] = str(home)
    os.environ.pop("TALENTCAST_DATABASE_URL", None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    get_settings.cache_clear()
    with Storage() as storage:
        seed_storage(storage, with_run=False)
        admin = storage.create_api_key("admin", name="fault-injection")[0]
    path = home.parent / "enrolment-fault.csv"
    enrolment_frame().to_csv(path, index=False)
    return path, admin


def changed_enrolment(path: Path, trial: int) -> Path:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str)
    frame.loc[trial % len(frame), "intake"] = str(100 + trial)  # a new version each time
    out = path.with_name(f"enrolment-{trial}.csv")
    frame.to_csv(out, index=False)
    return out


def kill_after(process: subprocess.Popen, delay: float) -> bool:
    """SIGKILL `process` after `delay` s; True when it was still running (the kill landed mid-way)."""
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return True


def env_for(home: Path) -> dict:
    return {**os.environ, "TALENTCAST_HOME": str(home), "PYTHONPATH": str(REPO)}


def trial_ingest(home: Path, csv: Path, trial: int, delay: float) -> bool:
    process = subprocess.Popen([*CLI, "ingest", "enrolment", str(changed_enrolment(csv, trial))], env=env_for(home),
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return kill_after(process, delay)


def trial_run(home: Path, csv: Path, trial: int, delay: float) -> bool:
    process = subprocess.Popen([*CLI, "run", "--quiet", "--paths", "200", "--horizon", "3", "--method", "drift"],
                               env=env_for(home), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return kill_after(process, delay)


def trial_run_open(home: Path, csv: Path, trial: int, delay: float) -> bool:
    """A run killed while its MLflow run is open: the store is polled for a RUNNING run, then the kill lands
    `delay` seconds later (kept under 0.5 s by the caller). Uniform delays over a whole run rarely hit this
    window of a few seconds, and it is the one that leaves a run RUNNING forever without the clean-up."""
    import sqlite3

    from talentcast import tracking

    store = Path(tracking.store_location(tracking.tracking_uri()))
    process = subprocess.Popen([*CLI, "run", "--quiet", "--paths", "200", "--horizon", "3", "--method", "drift"],
                               env=env_for(home), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None:
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as conn:
                open_runs = conn.execute("SELECT count(*) FROM runs WHERE status = 'RUNNING'").fetchone()[0]
        except sqlite3.Error:
            open_runs = 0  # the store is being created or written: look again
        if open_runs:
            return kill_after(process, delay)
        time.sleep(0.05)
    return False


def trial_upload(home: Path, csv: Path, trial: int, delay: float, admin: str = "") -> bool:
    import httpx

    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--log-level", "warning"], env=env_for(home),
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    client = subprocess.Popen([sys.executable, "-c", (
        "import httpx, sys; httpx.post(sys.argv[1], headers={'Authorization': 'Bearer ' + sys.argv[2]}, "
        "files={'file': ('enrolment.csv', open(sys.argv[3], 'rb').read(), 'text/csv')}, timeout=60)"),
        f"{base}/v1/datasets/enrolment", admin, str(changed_enrolment(csv, trial))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    landed = kill_after(server, delay)  # the server dies mid-upload (or after answering)
    client.kill()
    client.wait()
    return landed


def next_start_and_check(home: Path) -> dict:
    """What the next start does, then the consistency checks; returns the findings of this trial."""
    import sqlalchemy as sa
    from mlflow.tracking import MlflowClient

    from forecasting.results import PipelineState
    from talentcast import tracking
    from talentcast.service import state_path
    from talentcast.settings import get_settings
    from talentcast.storage import Storage
    from talentcast.storage.schema import data_tables, dataset_versions, result_tables

    get_settings.cache_clear()
    problems: list[str] = []
    with Storage() as storage:  # opening: SQLite rolls back the killed writer's journal
        with storage.engine.connect() as conn:
            versions = conn.execute(sa.select(dataset_versions)).mappings().all()
            by_table = defaultdict(list)
            for row in versions:
                by_table[row["table_name"]].append(row["version"])
                count = conn.execute(sa.select(sa.func.count()).select_from(data_tables[row["table_name"]])
                                     .where(data_tables[row["table_name"]].c.version_id == row["id"])).scalar()
                if count != row["rows"]:
                    problems.append(f"{row['table_name']} v{row['version']}: {count} rows stored, {row['rows']} declared")
            for table, numbers in by_table.items():
                if sorted(numbers) != list(range(1, len(numbers) + 1)):
                    problems.append(f"{table}: versions {sorted(numbers)} have gaps")
            runs = storage.runs()
            for run in runs:
                gaps = conn.execute(sa.select(sa.func.count()).select_from(result_tables["gaps"])
                                    .where(result_tables["gaps"].c.run_id == run.run_id)).scalar()
                if run.status != "complete" or gaps == 0:
                    problems.append(f"run {run.run_id}: status {run.status}, {gaps} gap rows")
    closed: list[str] = []
    uri = tracking.tracking_uri()
    if Path(tracking.store_location(uri)).exists():
        tracking._CLEANED.clear()  # a new process: the clean-up runs on first use, as at `talentcast serve`
        _, client, experiment = tracking._client()
        closed = [r for r in _killed_ids(client, experiment)]
        running = client.search_runs([experiment], filter_string="attributes.status = 'RUNNING'")
        if running:
            problems.append(f"{len(running)} MLflow run(s) still RUNNING after the next start")
        for run in runs:
            if run.mlflow_run_id:
                status = MlflowClient(tracking_uri=uri).get_run(run.mlflow_run_id).info.status
                if status != "FINISHED":
                    problems.append(f"run {run.run_id}: MLflow run {run.mlflow_run_id} is {status}")
    for run in runs:
        path = state_path(get_settings().home, run.run_id)
        if path.exists():
            try:
                PipelineState.from_bytes(path.read_bytes())
            except Exception as exc:  # noqa: BLE001 - reported
                problems.append(f"state of run {run.run_id} does not load: {exc}")
    return {"problems": problems, "versions": len(versions), "runs": len(runs), "killed_runs_total": len(closed)}


def _killed_ids(client, experiment) -> list[str]:
    return [r.info.run_id for r in client.search_runs([experiment], filter_string="attributes.status = 'KILLED'")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--home", type=Path, default=Path("/tmp/talentcast-faults/home"))
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--kinds", default="ingest,run,upload",
                        help="operations to kill, taken in turn; run-open = a run killed while its MLflow run is open")
    args = parser.parse_args()
    kinds = tuple(args.kinds.split(","))
    unknown = set(kinds) - {"ingest", "run", "upload", "run-open"}
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    rng = random.Random(args.seed)
    csv, admin = prepare(args.home)
    # Measured durations (seconds) of each operation run to completion: the kill delay is uniform over them.
    durations = {}
    for name, trial in (("ingest", trial_ingest), ("run", trial_run)):
        started = time.monotonic()
        trial(args.home, csv, -1 - len(durations), 600)
        durations[name] = time.monotonic() - started
    durations["upload"] = durations["ingest"] + 2.0  # server start (imports) plus the upload itself
    baseline = next_start_and_check(args.home)
    assert not baseline["problems"], baseline
    results: dict[str, Counter] = defaultdict(Counter)
    failures: list[str] = []
    started_all = time.monotonic()
    for trial in range(args.trials):
        kind = kinds[trial % len(kinds)]
        delay = rng.uniform(0.0, 0.5) if kind == "run-open" else rng.uniform(0.2, durations[kind])
        function = {"ingest": trial_ingest, "run": trial_run, "run-open": trial_run_open,
                    "upload": lambda h, c, t, d: trial_upload(h, c, t, d, admin)}[kind]
        landed = function(args.home, csv, trial, delay)
        found = next_start_and_check(args.home)
        results[kind]["trials"] += 1
        results[kind]["killed mid-way"] += int(landed)
        results[kind]["consistent"] += int(not found["problems"])
        if found["problems"]:
            failures.append(f"trial {trial} ({kind}, kill after {delay:.2f} s): {'; '.join(found['problems'])}")
        print(f"trial {trial:3d} {kind:6s} kill after {delay:5.2f} s {'mid-way' if landed else 'after exit'}: "
              f"{'consistent' if not found['problems'] else 'INCONSISTENT'} ({found['versions']} versions, "
              f"{found['runs']} runs, {found['killed_runs_total']} MLflow runs KILLED so far)", flush=True)
    final = next_start_and_check(args.home)
    summary = {"trials": args.trials, "seconds": round(time.monotonic() - started_all),
               "durations_s": {k: round(v, 1) for k, v in durations.items()},
               "by_operation": {k: dict(v) for k, v in results.items()}, "inconsistent": failures,
               "final": {"dataset_versions": final["versions"], "runs": final["runs"],
                         "mlflow_runs_marked_killed": final["killed_runs_total"]}}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
