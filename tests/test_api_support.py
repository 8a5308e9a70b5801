"""Shared helpers of the API tests (no tests here): a small known database and clients per role.

The database is filled through the Storage API with hand-made frames so that every number a test asserts is
known in advance: two cities of Guangxi (柳州 450200, 南宁 450100), two sectors, three schools, two majors, and
one stored run whose results are written out below.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pandas as pd

from talentcast.settings import Settings
from talentcast.storage import RunMeta, Storage

REPO = Path(__file__).resolve().parents[1]

REGIONS = pd.DataFrame({
    "code": ["450000", "450200", "450100", "510000"],
    "name_zh": ["广西壮族自治区", "柳州市", "南宁市", "四川省"],
    "name_en": ["Guangxi", "Liuzhou", "Nanning", "Sichuan"],
    "parent": [None, "450000", "450000", None],
    "level": ["province", "city", "city", "province"],
})
SECTORS = pd.DataFrame({
    "code": ["C", "C36", "E"],
    "name_zh": ["制造业", "汽车制造业", "建筑业"],
    "name_en": ["Manufacturing", "Automobile manufacturing", "Construction"],
    "parent": [None, "C", None],
})
MAJORS = pd.DataFrame({
    "code": ["460701", "440301"],
    "name_zh": ["新能源汽车技术", "建筑工程技术"],
    "name_en": ["New energy vehicle technology", None],  # no English name: falls back to Chinese
    "level": ["高职专科", "高职专科"],
    "category": ["4607汽车制造类", "4403土建施工类"],
    "duration_years": [3, 3],
})
SCHOOLS = pd.DataFrame({
    "code": ["S001", "S002", "S003"],
    "name": ["柳州职业技术学院", "柳州城市职业学院", "南宁职业技术学院"],
    "name_en": ["Liuzhou Vocational & Technical College", "Liuzhou City Vocational College",
                "Nanning College for Vocational Technology"],
    "region": ["450200", "450200", "450100"],
    "type": ["高职", "高职", "高职"],
})
YEARS = list(range(2014, 2024))


def employment_frame() -> pd.DataFrame:
    rows = []
    for region, scale in (("450200", 1.0), ("450100", 0.6)):
        # C36 at 20,000 (was 100,000): the schools' ~150 automotive entrants a year are then ~18% of its graduate
        # openings; against 100,000 employed they were under 5%, too little local supply for a rated ratio.
        for sector, base, growth in (("C36", 20_000, 0.03), ("E", 60_000, -0.01)):
            for i, year in enumerate(YEARS):
                rows.append((region, sector, year, round(base * scale * (1 + growth) ** i)))
    return pd.DataFrame(rows, columns=["region", "sector", "year", "employed"])


def enrolment_frame() -> pd.DataFrame:
    rows = []
    for school, size in (("S001", 400), ("S002", 150), ("S003", 250)):
        for major, share in (("460701", 0.6), ("440301", 0.4)):
            for i, year in enumerate(YEARS):
                intake = int(size * share + 5 * i)
                graduates = int(0.9 * (size * share + 5 * (i - 3))) if i >= 3 else None
                employed = int(graduates * 0.8) if graduates else None
                further = int(graduates * 0.1) if graduates else None
                local = int(employed * 0.5) if employed else None
                rows.append((school, major, year, intake, graduates, employed, further, local))
    frame = pd.DataFrame(rows, columns=["school", "major", "year", "intake", "graduates", "graduates_employed",
                                        "graduates_further_study", "graduates_local"])
    for column in ("graduates", "graduates_employed", "graduates_further_study", "graduates_local"):
        frame[column] = frame[column].astype("Int64")
    return frame


MAJOR_SECTOR_MAP = pd.DataFrame({"major": ["460701", "440301"], "sector": ["C36", "E"], "weight": [1.0, 1.0]})

# --- stored results of the one run (known numbers) -------------------------------------------------------

FORECAST_YEARS = [2024, 2025, 2026]


def demand_results() -> pd.DataFrame:
    rows = []
    for region in ("450200", "450100"):
        for sector in ("C36", "E"):
            for year in FORECAST_YEARS:
                mean = 1000.0 * (2 if sector == "C36" else 1) * (1 if region == "450200" else 0.5) + year - 2024
                rows.append({
                    "region": region, "sector": sector, "year": year,
                    "employment_mean": mean * 100, "employment_lo_80": mean * 95, "employment_hi_80": mean * 105,
                    "expansion_mean": mean * 0.3, "replacement_mean": mean * 0.7, "openings_mean": mean,
                    "graduate_openings_mean": mean / 2, "graduate_openings_lo_80": mean / 2 - 50,
                    "graduate_openings_hi_80": mean / 2 + 50, "graduate_openings_lo_95": mean / 2 - 80,
                    "graduate_openings_hi_95": mean / 2 + 80, "model": "ets" if sector == "C36" else "naive",
                })
    return pd.DataFrame(rows)


def supply_results() -> pd.DataFrame:
    rows = []
    for school, region in (("S001", "450200"), ("S002", "450200"), ("S003", "450100")):
        for major in ("460701", "440301"):
            for year in FORECAST_YEARS:
                graduates = {"S001": 200.0, "S002": 80.0, "S003": 120.0}[school] + (year - 2024)
                rows.append({"region": region, "school": school, "major": major, "year": year,
                             "intake_source": "pipeline", "expected_graduates": graduates,
                             "graduate_entrants": graduates * 0.36})
    return pd.DataFrame(rows)


def gap_results() -> pd.DataFrame:
    rows = []
    for region in ("450200", "450100"):
        for sector in ("C36", "E"):
            for year in FORECAST_YEARS:
                openings = 500.0 if sector == "C36" else 300.0
                supply = 250.0 if sector == "C36" else 400.0
                rows.append({
                    "region": region, "sector": sector, "year": year, "openings_mean": openings,
                    "supply_mean": supply, "gap_mean": openings - supply, "gap_lo_80": openings - supply - 40,
                    "gap_hi_80": openings - supply + 40, "gap_lo_95": openings - supply - 70,
                    "gap_hi_95": openings - supply + 70, "ratio_median": openings / supply,
                    "ratio_lo_80": openings / supply - 0.2, "ratio_hi_80": openings / supply + 0.2,
                    "ratio_lo_95": openings / supply - 0.3, "ratio_hi_95": openings / supply + 0.3,
                    "p_shortage": 0.83 if sector == "C36" else 0.02,
                    "p_surplus": 0.01 if sector == "C36" else 0.64,
                    "shortage_threshold": 1.2, "surplus_threshold": 0.8,
                })
    return pd.DataFrame(rows)


def warning_results() -> pd.DataFrame:
    rows = []
    for school, region in (("S001", "450200"), ("S002", "450200"), ("S003", "450100")):
        for major, level, action, current, recommended in (("460701", "green", "expand", 240.0, 270.0),
                                                           ("440301", "red", "shrink", 160.0, 120.0)):
            rows.append({
                "region": region, "school": school, "major": major, "plan_year": 2025, "rule_set": "forecast",
                "level": level, "action": action, "current_intake": current, "recommended_intake": recommended,
                "rules_fired": ["forecast_shortage"] if level == "green" else ["forecast_surplus", "moe_2011"],
                "evidence": {"p_shortage": 0.83 if level == "green" else 0.02, "employment_rate": 0.8},
                "explanation_zh": f"{school} {major} 预测短缺" if level == "green" else f"{school} {major} 预测过剩",
                "explanation_en": f"{school} {major} forecast shortage" if level == "green"
                else f"{school} {major} forecast surplus",
                "level_zh": "绿牌" if level == "green" else "红牌", "target_year": 2028,
            })
    return pd.DataFrame(rows)


def seed_storage(storage: Storage, *, with_run: bool = True) -> int | None:
    """Ingest the reference and input tables, and (optionally) store one run; returns its run_id."""
    for table, frame in (("regions", REGIONS), ("sectors", SECTORS), ("employment", employment_frame()),
                         ("majors", MAJORS), ("schools", SCHOOLS), ("enrolment", enrolment_frame()),
                         ("major_sector_map", MAJOR_SECTOR_MAP)):
        storage.ingest(table, frame, f"tests:{table}", metadata={"synthetic": True, "note": "generated for tests"})
    if not with_run:
        return None
    results = {"demand": demand_results(), "supply": supply_results(), "gaps": gap_results(),
               "warnings": warning_results()}
    meta = RunMeta(dataset_versions=storage.current_versions(), horizon=3, mlflow_run_id="abc123")
    return storage.save_run(results, meta)


def settings_for(home) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    return Settings(home=home, database_url=f"sqlite:///{(home / 'talentcast.db').resolve()}",
                    max_upload_bytes=64 * 1024)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_keys(storage: Storage) -> dict[str, str]:
    """Plaintext keys by label: admin, planner (柳州), planner_gx (广西), planner_all, school (S001), school3."""
    return {
        "admin": storage.create_api_key("admin", name="ops")[0],
        "planner": storage.create_api_key("planner", region="450200", name="柳州教育局")[0],
        "planner_gx": storage.create_api_key("planner", region="450000", name="广西教育厅")[0],
        "planner_all": storage.create_api_key("planner", name="national")[0],
        "school": storage.create_api_key("school", school="S001", name="柳职院")[0],
        "school3": storage.create_api_key("school", school="S003", name="南职院")[0],
    }


@contextmanager
def seeded_api(home, *, with_run: bool = True, raise_server_exceptions: bool = True) -> Iterator[SimpleNamespace]:
    """The known database (tables, one run unless with_run=False, make_keys) in `home`, served in-process.

    Yields client, keys, storage, run_id, settings and app; the storage is closed afterwards.
    raise_server_exceptions=False: a server error comes back as a 500 response (what a client would see).
    """
    from fastapi.testclient import TestClient

    from api.main import create_app

    settings = settings_for(home)
    storage = Storage(settings.database_url)
    try:
        run_id = seed_storage(storage, with_run=with_run)
        keys = make_keys(storage)
        app = create_app(settings)
        with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
            yield SimpleNamespace(client=client, keys=keys, storage=storage, run_id=run_id, settings=settings,
                                  app=app)
    finally:
        storage.close()


def free_port() -> int:
    """A TCP port that is free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, log_level: str = "warning", stdout=subprocess.PIPE,
                 timeout: float = 90) -> subprocess.Popen:
    """`talentcast serve` in a child process (real HTTP), returned once /v1/health answers 200.

    Args:
        env: the child's environment (TALENTCAST_HOME and PYTHONPATH set by the caller).
        stdout: where the server's output goes; a pipe (the default) is read into the error if it fails.

    Raises:
        RuntimeError: the server exited, or did not answer within `timeout` seconds (it is killed then).
    """
    process = subprocess.Popen(
        [sys.executable, "-c", "from talentcast.cli import main; main()", "serve", "--port", str(port),
         "--log-level", log_level],
        stdout=stdout, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"server exited with code {process.returncode}: {output}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"server did not start within {timeout:.0f} s")
