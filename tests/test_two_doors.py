"""Same input, same answer, whichever door a user comes in by: `talentcast ingest` and an API upload of the
same file give the same verdict and the same messages (valid, invalid, referenced tables missing), because
both call talentcast.service.Service.ingest."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from features.contract import SCHEMAS, TABLE_NAMES
from talentcast.settings import get_settings
from talentcast.storage import Storage, referenced_tables
from test_api_support import (MAJOR_SECTOR_MAP, MAJORS, REGIONS, SCHOOLS, SECTORS, bearer, employment_frame,
                              enrolment_frame)
from test_cli_data import run_cli

FRAMES = {
    "regions": lambda: REGIONS,
    "sectors": lambda: SECTORS,
    "employment": employment_frame,
    "vacancies": lambda: pd.DataFrame({"region": ["450200"] * 2, "sector": ["C36"] * 2,
                                       "period": ["2023-01", "2023-02"], "vacancies": [120, 130],
                                       "job_seekers": [100, 90]}),
    "majors": lambda: MAJORS,
    "schools": lambda: SCHOOLS,
    "enrolment": enrolment_frame,
    "major_sector_map": lambda: MAJOR_SECTOR_MAP,
    "sector_parameters": lambda: pd.DataFrame({"sector": ["C36", "E"], "replacement_rate": [0.03, 0.04],
                                               "graduate_entry_share": [0.3, 0.2]}),
}


def test_every_table_is_covered():
    assert set(FRAMES) == set(TABLE_NAMES)


def _upload(client, admin, table, path):
    with path.open("rb") as handle:
        return client.post(f"/v1/datasets/{table}", headers=bearer(admin), files={"file": (path.name, handle)})


def _seed_references(storage: Storage, table: str) -> None:
    needed = set(referenced_tables(table))
    for name in needed | {"majors"} if table == "enrolment" else needed:
        if name not in storage.current_versions():
            _seed_references(storage, name)
            storage.ingest(name, FRAMES[name](), f"tests:{name}", metadata={"synthetic": True})


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_cli_ingest_and_api_upload_give_the_same_verdict_and_message(table, tmp_path, capsys, isolated_home):
    settings = get_settings()
    settings.ensure_home()
    storage = Storage(settings.database_url)
    admin = storage.create_api_key("admin")[0]
    frame = FRAMES[table]()
    valid = tmp_path / f"{table}.csv"
    frame.to_csv(valid, index=False)
    broken = frame.astype(object).copy()
    broken.iloc[0, 0] = ""  # the first column is required in every table: row 2 has an empty required value
    invalid = tmp_path / f"{table}-bad.csv"
    broken.to_csv(invalid, index=False)

    with TestClient(create_app(settings)) as client:
        if referenced_tables(table):  # references missing: both refuse with one and the same line
            code, _, err = run_cli(capsys, "ingest", table, str(valid))
            response = _upload(client, admin, table, valid)
            assert code == 2 and response.status_code == 422 and not response.json()["stored"]
            assert err.strip() == f"error: {response.json()['detail']}"
            assert f"cannot ingest '{table}' yet" in err
            _seed_references(storage, table)
        assert storage.current_version(table) is None or table in ("regions", "sectors")

        code, out, err = run_cli(capsys, "ingest", table, str(invalid))
        response = _upload(client, admin, table, invalid)
        body = response.json()
        assert code == 2 and response.status_code == 422 and not body["stored"]
        assert err.strip().splitlines()[-1] == f"error: {body['detail']}"
        assert all(issue["message"] in out + err for issue in body["issues"])
        required = SCHEMAS[table].columns[0].name
        assert any(i["row"] == 2 and i["column"] == required for i in body["issues"])

        before = storage.current_version(table)
        code, out, err = run_cli(capsys, "ingest", table, str(valid))
        assert code == 0, err
        response = _upload(client, admin, table, valid)
        assert response.status_code == 201, response.text
        assert response.json()["rows"] == len(frame)
        after = storage.versions(table)
        assert [v.rows for v in after[-2:]] == [len(frame), len(frame)]
        assert after[-1].checksum == after[-2].checksum  # the same data, stored once by each door
        assert (before.version if before else 0) + 2 == after[-1].version
    storage.close()
