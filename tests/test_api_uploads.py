"""POST /v1/datasets/{table}: every class of bad file gets the CLI's messages, and nothing half-stored.

Each bad file of tests/data/bad is checked by `talentcast validate` and uploaded to the API against the same
database; the API's `detail` must equal the CLI's error line and its issues the CLI's report lines.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from talentcast.cli import main as cli_main
from talentcast.settings import get_settings
from talentcast.storage import Storage
from test_api_support import REGIONS, bearer, seed_storage, seeded_api, settings_for

BAD = Path(__file__).parent / "data" / "bad"
TABLE_OF = {  # bad file -> the table it is uploaded as
    "employment.json": "employment",
    "empty.csv": "regions",
}
BAD_FILES = sorted(p.name for p in BAD.iterdir() if p.suffix in (".csv", ".json"))


def table_for(name: str) -> str:
    if name in TABLE_OF:
        return TABLE_OF[name]
    for table in ("major_sector_map", "employment", "enrolment", "regions"):
        if name.startswith(table):
            return table
    raise AssertionError(f"no table for {name}")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("uploads") / "home"
    with seeded_api(home, with_run=False) as api:
        yield {"client": api.client, "admin": api.keys["admin"], "storage": api.storage, "home": home}


def run_cli(args, home, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setenv("TALENTCAST_HOME", str(home))
    get_settings.cache_clear()
    code = 0
    try:
        cli_main(args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    get_settings.cache_clear()
    return code, out.out, out.err


def upload(env, table, name, data, token=None):
    return env["client"].post(f"/v1/datasets/{table}", headers=bearer(token or env["admin"]),
                              files={"file": (name, data, "application/octet-stream")})


@pytest.mark.parametrize("name", BAD_FILES)
def test_upload_reports_the_same_issues_as_the_cli(env, name, monkeypatch, capsys):
    table = table_for(name)
    path = BAD / name
    monkeypatch.chdir(BAD)  # the CLI names the file as given on the command line; the API by its upload name
    code, out, err = run_cli(["validate", table, name], env["home"], monkeypatch, capsys)
    versions_before = env["storage"].current_versions()
    response = upload(env, table, name, path.read_bytes())
    body = response.json()
    report_lines = [line for line in out.splitlines() if line.startswith(("error: ", "warning: "))]
    api_lines = [f"{i['severity']}: {i['message']}" for i in body.get("issues", [])]
    if code == 2:
        assert response.status_code == 422, body
        assert body["valid"] is False and body["stored"] is False and body["version"] is None
        assert f"error: {body['detail']}" == err.strip().splitlines()[-1]
        assert api_lines == report_lines
        assert body["errors"] >= 1
        assert env["storage"].current_versions() == versions_before  # nothing stored
    else:
        assert code == 0, err
        assert response.status_code == 201, body
        assert body["stored"] is True and body["version"] == versions_before.get(table, 0) + 1
        assert api_lines == report_lines  # the same warnings


def test_every_bad_file_class_is_covered():
    # The CLI comparison above must meet unreadable, empty, wrong format, column, value, key, reference and
    # table-level check errors; this pins that the bad-file folder still holds each kind.
    kinds = {"not_utf8_or_gbk", "empty", ".json", "missing_column", "wrong_type", "negative", "out_of_range",
             "duplicate_key", "unknown_parent", "unknown_major", "weights_not_one", "above_cohort",
             "outcomes_above_graduates", "header_only"}
    assert all(any(kind in name for name in BAD_FILES) for kind in kinds)


def test_unknown_table_is_404_with_the_cli_message(env, monkeypatch, capsys):
    monkeypatch.chdir(BAD)
    code, _, err = run_cli(["validate", "nope", "empty.csv"], env["home"], monkeypatch, capsys)
    response = upload(env, "nope", "x.csv", b"a,b\n1,2\n")
    assert code == 2 and response.status_code == 404
    assert f"error: {response.json()['detail']}" == err.strip()


def test_valid_gb18030_upload_is_stored_as_a_new_version(tmp_path):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage, with_run=False)
    admin = storage.create_api_key("admin")[0]
    extra = pd.concat([REGIONS, pd.DataFrame([{"code": "450300", "name_zh": "桂林市", "name_en": "Guilin",
                                               "parent": "450000", "level": "city"}])])
    data = extra.to_csv(index=False).encode("gb18030")
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/datasets/regions", headers=bearer(admin),
                               files={"file": ("行政区划.csv", data, "text/csv")})
        listed = client.get("/v1/regions", headers=bearer(admin), params={"q": "桂林"}).json()
    body = response.json()
    assert response.status_code == 201, body
    assert (body["version"], body["rows"], body["stored"], body["errors"]) == (2, 5, True, 0)
    assert body["file"] == "行政区划.csv"
    assert [r["name"] for r in listed["items"]] == ["桂林市"]
    stored = storage.versions("regions")[-1]
    assert stored.version == 2 and stored.source_file == "行政区划.csv"
    assert storage.load_table("regions")["name_zh"].tolist()[-1] == "桂林市"
    storage.close()


def test_valid_xlsx_upload(tmp_path):
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage, with_run=False)
    admin = storage.create_api_key("admin")[0]
    buffer = io.BytesIO()
    REGIONS.to_excel(buffer, index=False, sheet_name="regions")
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/datasets/regions", headers=bearer(admin),
                               files={"file": ("regions.xlsx", buffer.getvalue(), "application/octet-stream")})
    assert response.status_code == 201, response.json()
    assert response.json()["rows"] == 4 and storage.current_versions()["regions"] == 2
    storage.close()


def test_upload_over_the_size_limit_is_413_and_stores_nothing(env):
    limit = 64 * 1024  # settings_for
    big = ("code,name_zh,name_en,parent,level\n" + "450200,柳州市,Liuzhou,,city\n" * (limit // 20)).encode()
    before = env["storage"].current_versions()
    response = upload(env, "regions", "big.csv", big)
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    def chunks():  # no Content-Length: counted while streaming
        yield b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
        for _ in range(20):
            yield b"x" * 8192
        yield b"\r\n--xyz--\r\n"

    streamed = env["client"].post("/v1/datasets/regions", content=chunks(), headers={
        **bearer(env["admin"]), "Content-Type": "multipart/form-data; boundary=xyz"})
    assert streamed.status_code == 413
    assert env["storage"].current_versions() == before


def test_a_database_failure_during_an_upload_stores_nothing(tmp_path):
    """Atomicity: the version row is inserted, then the data rows fail; the version must not survive."""
    settings = settings_for(tmp_path / "home")
    storage = Storage(settings.database_url)
    seed_storage(storage, with_run=False)
    admin = storage.create_api_key("admin")[0]
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/v1/health")
        engine = next(iter(app.state.storages.values())).engine

        def fail_on_data_rows(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("INSERT") and "data_regions" in statement:
                raise RuntimeError("disk full")

        sa.event.listen(engine, "before_cursor_execute", fail_on_data_rows)
        try:
            before = client.get("/v1/regions", headers=bearer(admin)).json()
            response = client.post("/v1/datasets/regions", headers=bearer(admin), files={
                "file": ("regions.csv", REGIONS.to_csv(index=False).encode(), "text/csv")})
        finally:
            sa.event.remove(engine, "before_cursor_execute", fail_on_data_rows)
        after = client.get("/v1/regions", headers=bearer(admin)).json()
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    assert storage.current_versions()["regions"] == 1
    assert [v.version for v in storage.versions("regions")] == [1]
    assert after == before
    storage.close()
