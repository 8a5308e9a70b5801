"""Tests of talentcast.storage on SQLite and a throwaway PostgreSQL cluster (`db_url`, `pg_cluster`: conftest.py)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st_

from features.contract import SCHEMAS
from features.errors import TalentcastError
from features.validation import validate_table
from talentcast.storage import NotFoundError, RunMeta, Storage, frame_checksum, referenced_tables
from talentcast.storage import migrate
from talentcast.storage.schema import api_keys, metadata

REAL = Path(__file__).resolve().parents[1] / "talentcast" / "data" / "real"

# --------------------------------------------------------------------------- real input tables


@pytest.fixture(scope="module")
def real_tables() -> dict[str, pd.DataFrame]:
    """regions, sectors and employment built from the real NBS province x sector file, validated."""
    raw = pd.read_csv(REAL / "employment_by_province_sector_2009_2015.csv", dtype=str)
    regions = (raw[["region_code", "region_name"]].drop_duplicates()
               .rename(columns={"region_code": "code", "region_name": "name_zh"}).assign(level="province")
               .reset_index(drop=True))
    sectors = (raw[["sector_code", "sector_name_zh", "sector_name_en"]].drop_duplicates()
               .rename(columns={"sector_code": "code", "sector_name_zh": "name_zh", "sector_name_en": "name_en"})
               .reset_index(drop=True))
    employment = pd.DataFrame({
        "region": raw["region_code"], "sector": raw["sector_code"], "year": raw["year"],
        "employed": (raw["employed_10k"].astype(float) * 10_000).map(repr),
    })
    out = {}
    out["regions"] = validate_table("regions", regions, "regions").frame
    out["sectors"] = validate_table("sectors", sectors, "sectors").frame
    out["employment"] = validate_table("employment", employment, "employment",
                                       references={"regions": out["regions"], "sectors": out["sectors"]}).frame
    return out


@pytest.fixture
def storage(db_url):
    st = Storage(db_url)
    yield st
    st.close()


def snapshot(st: Storage) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean an unchanged database."""
    out = {}
    with st.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted((tuple(map(repr, r)) for r in rows))
    return out


# --------------------------------------------------------------------------- schema and migrations


def test_open_migrates_to_head_and_schema_matches_models(storage):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert migrate.current_revision(storage.engine) == migrate.head_revision()
    with storage.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    # Opening an up-to-date database runs no migration.
    assert migrate.upgrade(storage.engine) is False
    again = Storage(storage.url)
    assert again.current_versions() == {}
    again.close()


def test_a_database_from_a_newer_talentcast_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    Storage(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(TalentcastError, match=r"schema revision '0099', which this talentcast does not know"):
        Storage(url)


def test_sqlite_pragmas_allow_concurrent_reads(tmp_path):
    st = Storage(f"sqlite:///{tmp_path / 'x.db'}")
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    st.close()


# --------------------------------------------------------------------------- dataset versions


def test_versions_are_numbered_per_table(storage, real_tables):
    v1 = storage.ingest("regions", real_tables["regions"], "regions.csv", metadata={"来源": "国家统计局"})
    v2 = storage.ingest("regions", real_tables["regions"].iloc[:10], "regions_part.csv")
    s1 = storage.ingest("sectors", real_tables["sectors"], "sectors.csv")
    assert (v1.version, v2.version, s1.version) == (1, 2, 1)
    assert (v1.rows, v2.rows, s1.rows) == (31, 10, 19)
    assert storage.current_versions() == {"regions": 2, "sectors": 1}
    listed = storage.versions()
    assert [(v.table, v.version) for v in listed] == [("regions", 1), ("regions", 2), ("sectors", 1)]
    assert listed[0].metadata == {"来源": "国家统计局"}
    assert listed[0].created_at.tzinfo is not None
    assert listed[0].checksum == v1.checksum and len(v1.checksum) == 64
    # Old versions stay readable and unchanged.
    assert len(storage.load_table("regions", version=1)) == 31
    assert len(storage.load_table("regions")) == 10


def test_load_table_round_trip_keeps_dtypes_and_chinese_text(storage, real_tables):
    for name in ("regions", "sectors", "employment"):
        storage.ingest(name, real_tables[name], f"{name}.csv")
    for name in ("regions", "sectors", "employment"):
        loaded = storage.load_table(name)
        pd.testing.assert_frame_equal(loaded, real_tables[name])
    employment = storage.load_table("employment")
    assert employment["year"].dtype == np.int64 and employment["employed"].dtype == np.float64
    guangxi = storage.load_table("regions").set_index("code").loc["450000", "name_zh"]
    assert guangxi == "广西壮族自治区"
    beijing_a_2009 = employment.query("region == '110000' and sector == 'A' and year == 2009")["employed"]
    assert beijing_a_2009.item() == pytest.approx(32282.0)
    # load_tables returns only tables with data.
    assert set(storage.load_tables()) == {"regions", "sectors", "employment"}
    assert set(storage.load_references("employment")) == {"regions", "sectors"}


def test_nullable_int_and_missing_optional_columns(storage):
    enrolment = pd.DataFrame({"school": ["S1", "S1"], "major": ["460701", "460701"], "year": [2022, 2023],
                              "intake": [120, 130], "graduates": [None, 95]})
    storage.ingest("enrolment", enrolment, "enrolment.csv")
    loaded = storage.load_table("enrolment")
    assert list(loaded.columns) == SCHEMAS["enrolment"].column_names
    assert str(loaded["graduates"].dtype) == "Int64"
    assert loaded["graduates"].isna().tolist() == [True, False] and loaded["graduates"].iloc[1] == 95
    assert loaded["graduates_local"].isna().all()


def test_ingest_is_atomic_when_the_last_row_fails(storage, real_tables):
    storage.ingest("regions", real_tables["regions"], "regions.csv")
    before = snapshot(storage)
    bad = real_tables["employment"].copy()
    bad.loc[len(bad) - 1, "sector"] = None  # NOT NULL violated by the database on the very last row
    with pytest.raises(TalentcastError, match=r"employment.csv: cannot store table 'employment'.*'sector'"):
        storage.ingest("employment", bad, "employment.csv")
    duplicate = pd.concat([real_tables["employment"], real_tables["employment"].iloc[[0]]], ignore_index=True)
    last = len(duplicate) + 1  # spreadsheet row of the appended duplicate
    with pytest.raises(TalentcastError, match=rf"employment.csv: rows 2, {last}: duplicate key region/sector/year "
                                              r"= 110000/A/2009"):
        storage.ingest("employment", duplicate, "employment.csv")
    assert snapshot(storage) == before
    assert storage.current_versions() == {"regions": 1}
    # The next successful ingest still gets version 1.
    assert storage.ingest("employment", real_tables["employment"], "employment.csv").version == 1


def test_text_the_database_cannot_hold_is_a_user_error(storage):
    sectors = pd.DataFrame({"code": ["C36", "C37"], "name_zh": ["汽车制造业", "铁路\x00设备"]})
    if storage.engine.dialect.name == "sqlite":  # SQLite stores NUL characters; round trip them
        storage.ingest("sectors", sectors, "sectors.csv")
        assert storage.load_table("sectors")["name_zh"].tolist() == ["汽车制造业", "铁路\x00设备"]
    else:
        with pytest.raises(TalentcastError, match=r"sectors.csv: cannot store table 'sectors': .*nothing was stored"):
            storage.ingest("sectors", sectors, "sectors.csv")
        assert storage.versions() == []


def test_ingest_rejects_wrong_types_before_writing(storage):
    frame = pd.DataFrame({"sector": ["C36"], "replacement_rate": ["三"], "graduate_entry_share": [0.5]})
    with pytest.raises(TalentcastError, match=r"params.csv: row 2, column 'replacement_rate', value '三'"):
        storage.ingest("sector_parameters", frame, "params.csv")
    with pytest.raises(TalentcastError, match="known tables: regions, sectors"):
        storage.ingest("nope", frame, "x.csv")
    with pytest.raises(TalentcastError, match=r"missing required column\(s\) \['code', 'level'\]"):
        storage.ingest("regions", pd.DataFrame({"name_zh": ["柳州市"]}), "r.csv")
    assert storage.versions() == []


def test_readers_see_the_previous_version_while_an_ingest_writes(storage, real_tables):
    from talentcast.storage.schema import data_tables, dataset_versions

    storage.ingest("regions", real_tables["regions"], "regions.csv")
    reader = Storage(storage.url)
    with storage.engine.begin() as conn:  # an ingest in progress: version 2 written but not committed
        version_id = conn.execute(dataset_versions.insert().values(
            table_name="regions", version=2, rows=1, checksum="0" * 64, source_file="new.csv",
            created_at=pd.Timestamp.now(tz="UTC").to_pydatetime(), metadata={})).inserted_primary_key[0]
        conn.execute(data_tables["regions"].insert(), [{"version_id": version_id, "row_number": 0,
                                                       "code": "450200", "name_zh": "柳州市", "level": "city"}])
        assert reader.current_versions() == {"regions": 1}
        assert len(reader.load_table("regions")) == 31
    assert reader.current_versions() == {"regions": 2}
    reader.close()


def test_load_table_errors(storage, real_tables):
    with pytest.raises(NotFoundError, match="table 'regions' has no data yet"):
        storage.load_table("regions")
    storage.ingest("regions", real_tables["regions"], "regions.csv")
    with pytest.raises(NotFoundError, match=r"no version 7; versions: \[1\]"):
        storage.load_table("regions", version=7)


def test_is_current_compares_checksums(storage, real_tables):
    regions = real_tables["regions"]
    assert storage.is_current("regions", regions) is None
    storage.ingest("regions", regions, "regions.csv")
    assert storage.is_current("regions", regions.iloc[::-1]).version == 1  # order does not matter
    changed = regions.copy()
    changed.loc[0, "name_en"] = "Beijing"
    assert storage.is_current("regions", changed) is None


def test_referenced_tables_follow_the_contract():
    assert referenced_tables("enrolment") == ["majors", "schools"]
    assert referenced_tables("regions") == []
    assert referenced_tables("employment") == ["regions", "sectors"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st_.lists(st_.tuples(st_.text(min_size=1, max_size=12), st_.floats(0, 0.5), st_.floats(0, 1)),
                      min_size=1, max_size=20, unique_by=lambda r: r[0]),
       seed=st_.integers(0, 2**31))
def test_checksum_ignores_row_order_and_sees_every_value(rows, seed):
    frame = pd.DataFrame(rows, columns=["sector", "replacement_rate", "graduate_entry_share"])
    schema = SCHEMAS["sector_parameters"]
    shuffled = frame.sample(frac=1, random_state=seed % 2**32)
    assert frame_checksum(schema, frame) == frame_checksum(schema, shuffled)
    changed = frame.copy()
    changed.loc[0, "replacement_rate"] = np.nextafter(changed.loc[0, "replacement_rate"], 1)
    assert frame_checksum(schema, changed) != frame_checksum(schema, frame)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st_.lists(st_.tuples(st_.text(st_.characters(blacklist_categories=("Cs", "Cc")), min_size=1),
                                 st_.text(st_.characters(blacklist_categories=("Cs", "Cc"))) | st_.none(),
                                 st_.floats(0, 1e9, allow_nan=False)),
                      min_size=1, max_size=15, unique_by=lambda r: r[0]))
def test_any_text_and_float_round_trip_exactly(storage, rows):
    st = storage  # one database for all examples: each example is read back as the newest version
    sectors = pd.DataFrame({"code": [r[0] for r in rows], "name_zh": ["行业"] * len(rows),
                            "name_en": [r[1] for r in rows]})
    employment = pd.DataFrame({"region": "450200", "sector": [r[0] for r in rows], "year": 2020,
                               "employed": [r[2] for r in rows]})
    st.ingest("sectors", sectors, "s.csv")
    st.ingest("employment", employment, "e.csv")
    assert st.load_table("sectors")["name_en"].tolist() == sectors["name_en"].tolist()
    assert st.load_table("employment")["employed"].tolist() == employment["employed"].tolist()


# --------------------------------------------------------------------------- runs and results


def _results(scale: float = 1.0, years=(2026, 2027, 2028)) -> dict[str, pd.DataFrame]:
    n = len(years)
    demand = pd.DataFrame({
        "region": "450200", "sector": "C36", "year": list(years),
        "employment_mean": [1000.0 * scale + i for i in range(n)], "openings_mean": [50.0 * scale] * n,
        "model": "ets", "backtest_mase": [0.8] * n,  # not a listed column: goes to `extra`
    })
    gaps = pd.DataFrame({"region": "450200", "sector": ["C36", "C38"] * n, "year": sorted(list(years) * 2),
                         "gap_mean": np.arange(2 * n, dtype=float) * scale, "p_shortage": 0.25})
    warnings = pd.DataFrame({
        "region": "450200", "school": ["S001", "S002"], "major": ["460701", "460103"], "plan_year": 2026,
        "rule_set": "moe-2011", "level": ["red", "green"], "action": ["shrink", "hold"],
        "current_intake": [120, 80], "recommended_intake": [90.0, 80.0],
        "rules_fired": [["employment_below_60_two_years"], []],
        "evidence": [{"employment_rate_2024": 0.55, "employment_rate_2025": np.float64(0.58)}, {}],
        "explanation_zh": ["连续两年就业率低于60%，建议减招。", "供需平衡，维持。"],
        "explanation_en": ["Employment rate below 60% two years running: shrink.", "Balanced: hold."],
        "level_zh": ["红牌", "绿牌"],
    })
    return {"demand": demand, "gaps": gaps, "warnings": warnings}


def test_save_run_and_load_results_round_trip(storage):
    assert storage.latest_run() is None
    meta = RunMeta(dataset_versions={"employment": 3}, horizon=5, mlflow_run_id="abc123", notes="基线")
    run_id = storage.save_run(_results(), meta)
    assert meta.run_id == run_id and meta.status == "complete"
    latest = storage.latest_run()
    assert (latest.run_id, latest.dataset_versions, latest.horizon, latest.notes) == (run_id, {"employment": 3}, 5,
                                                                                    "基线")
    demand = storage.load_results("demand")
    assert demand["employment_mean"].tolist() == [1000.0, 1001.0, 1002.0]
    assert demand["year"].dtype == np.int64
    assert demand["backtest_mase"].tolist() == [0.8] * 3  # extra column comes back
    assert demand["graduate_openings_lo_95"].isna().all()  # listed but not given -> missing
    warnings = storage.load_results("warnings", run_id=run_id)
    red = warnings.iloc[0]
    assert red["rules_fired"] == ["employment_below_60_two_years"]
    assert red["evidence"] == {"employment_rate_2024": 0.55, "employment_rate_2025": 0.58}
    assert red["explanation_zh"] == "连续两年就业率低于60%，建议减招。" and red["level_zh"] == "红牌"
    assert warnings["recommended_intake"].tolist() == [90.0, 80.0]
    # Kinds not given in a run come back empty with their columns.
    supply = storage.load_results("supply")
    assert len(supply) == 0 and "graduate_entrants" in supply.columns


def test_load_results_filters_and_pages(storage):
    storage.save_run(_results(), RunMeta())
    gaps = storage.load_results("gaps", filters={"sector": "C38"})
    assert gaps["gap_mean"].tolist() == [1.0, 3.0, 5.0]
    assert storage.load_results("gaps", filters={"sector": ["C36", "C38"]}, year_from=2027, year_to=2027
                                )["gap_mean"].tolist() == [2.0, 3.0]
    assert storage.load_results("gaps", limit=2, offset=3)["gap_mean"].tolist() == [3.0, 4.0]
    assert storage.load_results("warnings", filters={"level": "red"}, year_from=2026)["school"].tolist() == ["S001"]
    with pytest.raises(TalentcastError, match="cannot filter gaps on 'school'"):
        storage.load_results("gaps", filters={"school": "S001"})
    with pytest.raises(TalentcastError, match="unknown result kind 'gap'"):
        storage.load_results("gap")
    with pytest.raises(NotFoundError, match="run 99 does not exist"):
        storage.load_results("gaps", run_id=99)


def test_baseline_and_scenario_runs_are_kept_apart(storage):
    base = storage.save_run(_results(1.0), RunMeta())
    scenario = storage.save_run(_results(2.0), RunMeta(scenario_id="ev-plant-2027", scenario={"id": "ev-plant-2027"}))
    assert storage.latest_run().run_id == base
    assert storage.latest_run("ev-plant-2027").run_id == scenario
    assert storage.load_results("demand")["employment_mean"].iloc[0] == 1000.0
    assert storage.load_results("demand", run_id=scenario)["employment_mean"].iloc[0] == 2000.0
    assert [r.run_id for r in storage.runs()] == [scenario, base]


def test_save_run_is_atomic_when_a_result_frame_fails(storage):
    first = storage.save_run(_results(1.0), RunMeta())
    before = snapshot(storage)
    broken = _results(2.0)
    broken["gaps"]["gap_mean"] = broken["gaps"]["gap_mean"].astype(object)
    broken["gaps"].loc[len(broken["gaps"]) - 1, "gap_mean"] = "not a number"  # demand rows already written
    with pytest.raises(TalentcastError, match=r"result gaps: row 5, column 'gap_mean'"):
        storage.save_run(broken, RunMeta())
    assert snapshot(storage) == before
    assert storage.latest_run().run_id == first
    assert storage.load_results("demand")["employment_mean"].iloc[0] == 1000.0
    with pytest.raises(TalentcastError, match="unknown result kind"):
        storage.save_run({"forecasts": pd.DataFrame()}, RunMeta())


# --------------------------------------------------------------------------- API keys


def test_api_keys_create_verify_revoke(storage):
    plaintext, key = storage.create_api_key("school", school="S001", region="450200", name="柳州职院")
    assert plaintext.startswith(f"tc_{key.prefix}_") and len(plaintext) == 3 + 8 + 1 + 32
    assert key.prefix[0].isalpha()  # never mistaken for a numeric id by `revoke_api_key`
    verified = storage.verify_api_key(plaintext)
    assert (verified.id, verified.role, verified.school, verified.region, verified.name) == (
        key.id, "school", "S001", "450200", "柳州职院")
    wrong_secret = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert storage.verify_api_key(wrong_secret) is None
    assert storage.verify_api_key("tc_nope") is None
    assert storage.verify_api_key("") is None
    other, _ = storage.create_api_key("admin")
    revoked = storage.revoke_api_key(key.prefix)
    assert revoked.revoked_at is not None and not revoked.active
    assert storage.verify_api_key(plaintext) is None  # a revoke counts at once
    assert storage.verify_api_key(other).role == "admin"
    # A fresh Storage (another process) sees the revocation too.
    fresh = Storage(storage.url)
    assert fresh.verify_api_key(plaintext) is None
    fresh.close()
    assert [(k.prefix, k.active) for k in storage.list_api_keys()] == [(key.prefix, False),
                                                                        (other.split("_")[1], True)]
    assert storage.revoke_api_key(key.id).revoked_at == revoked.revoked_at  # idempotent, by id too
    with pytest.raises(NotFoundError):
        storage.revoke_api_key("zzzzzzzz")


def test_api_keys_store_only_sha256_digests(storage):
    first, _ = storage.create_api_key("planner", region="450200")
    second, _ = storage.create_api_key("planner", region="450200")
    secrets_ = [first.split("_")[2], second.split("_")[2]]
    with storage.engine.connect() as conn:
        stored = [" ".join(map(str, row)) for row in conn.execute(sa.select(api_keys)).all()]
        hashes = conn.execute(sa.select(api_keys.c.key_hash).order_by(api_keys.c.id)).scalars().all()
    for secret in secrets_:
        assert all(secret not in row for row in stored)
    assert hashes == [f"sha256${hashlib.sha256(k.encode()).hexdigest()}" for k in (first, second)]
    if storage.engine.dialect.name == "sqlite":
        storage.close()
        raw = b"".join(p.read_bytes() for p in Path(storage.engine.url.database).parent.glob("*.db*"))
        assert all(secret.encode() not in raw for secret in secrets_)


def test_api_key_check_costs_the_same_for_an_unknown_prefix(storage, monkeypatch):
    """An unknown prefix is compared against a dummy digest: the same hash and compare as for a known one."""
    from talentcast.storage import keys

    plaintext, key = storage.create_api_key("admin")
    compared = []
    real_compare = keys.hmac.compare_digest
    monkeypatch.setattr(keys.hmac, "compare_digest", lambda a, b: compared.append((len(a), len(b))) or real_compare(a, b))
    unknown = f"tc_{'z' * 8}_{plaintext.split('_')[2]}"
    wrong = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert storage.verify_api_key(unknown) is None
    assert storage.verify_api_key(wrong) is None
    assert storage.verify_api_key(plaintext).id == key.id
    assert compared == [(71, 71)] * 3  # "sha256$" + 64 hex digits, every time
    assert keys.digest_matches(plaintext, None) is False


def test_api_key_roles_are_checked(storage):
    with pytest.raises(TalentcastError, match="unknown role 'root'; roles: admin, planner, school"):
        storage.create_api_key("root")
    with pytest.raises(TalentcastError, match="needs the school code"):
        storage.create_api_key("school")
    assert storage.list_api_keys() == []


def test_default_url_comes_from_settings(isolated_home):
    st = Storage()
    assert Path(st.engine.url.database) == (isolated_home / "talentcast.db").resolve()
    assert (isolated_home / "talentcast.db").exists()
    st.close()


# --------------------------------------------------------------------------- embedded demo dataset


def test_load_embedded_dataset_skips_unchanged_tables(storage, real_tables):
    from talentcast.service import load_embedded_dataset

    generated = {"synthetic": True, "generator": "talentcast.demo.generator", "seed": 20261129}
    tables = {name: (real_tables[name], generated if name == "employment" else {"source": "NBS"})
              for name in ("regions", "sectors", "employment")}
    messages: list[str] = []
    first = load_embedded_dataset(storage, progress=messages.append, tables=tables)
    assert [(v.table, v.version, v.rows) for v in first] == [("regions", 1, 31), ("sectors", 1, 19),
                                                            ("employment", 1, len(real_tables["employment"]))]
    # the stored metadata also states the kind (talentcast.provenance): generated, or user-supplied when the
    # metadata says nothing about it
    assert storage.versions("employment")[0].metadata == {**generated, "kind": "generated"}
    second = load_embedded_dataset(storage, progress=messages.append, tables=tables)
    assert [v.id for v in second] == [v.id for v in first]
    assert storage.current_versions() == {"regions": 1, "sectors": 1, "employment": 1}
    assert messages == ["regions v1 stored (31 rows, user-supplied)", "sectors v1 stored (19 rows, user-supplied)",
                        f"employment v1 stored ({len(real_tables['employment'])} rows, generated)",
                        "regions v1 unchanged (31 rows, user-supplied)",
                        "sectors v1 unchanged (19 rows, user-supplied)",
                        f"employment v1 unchanged ({len(real_tables['employment'])} rows, generated)"]
    # A changed table gets a new version; the others stay.
    changed = real_tables["employment"].assign(employed=real_tables["employment"]["employed"] + 1)
    third = load_embedded_dataset(storage, tables={**tables, "employment": (changed, generated)})
    assert [v.version for v in third] == [1, 1, 2]


def test_load_embedded_dataset_refuses_invalid_tables(storage, real_tables):
    from features.errors import ValidationError
    from talentcast.service import load_embedded_dataset

    orphan = pd.DataFrame({"region": ["450200"], "sector": ["C36"], "year": [2020], "employed": [1.0]})
    with pytest.raises(ValidationError, match="not a valid 'employment' table") as info:
        load_embedded_dataset(storage, tables={"regions": (real_tables["regions"], {}),
                                               "sectors": (real_tables["sectors"], {}),
                                               "employment": (orphan, {})})
    assert any("unknown code" in issue.reason for issue in info.value.errors)
    assert storage.current_versions() == {"regions": 1, "sectors": 1}


@pytest.mark.slow
def test_load_the_real_embedded_dataset(tmp_path):
    from features.contract import TABLE_NAMES
    from talentcast.service import load_embedded_dataset

    st = Storage(f"sqlite:///{tmp_path / 'demo.db'}")
    loaded = load_embedded_dataset(st)  # builds the demo tables once (several seconds)
    tables = [v.table for v in loaded]
    assert tables == [t for t in TABLE_NAMES if t in tables]  # contract order: references load first
    assert {"regions", "sectors", "employment", "majors", "schools", "enrolment"} <= set(tables)
    assert st.current_versions() == {t: 1 for t in tables}
    assert {v.table: v.rows for v in loaded} == {t: len(st.load_table(t)) for t in tables}
    assert "450200" in set(st.load_table("regions")["code"])
    st.close()


def test_concurrent_opens_and_ingests_number_versions_without_gaps(db_url, real_tables):
    import threading

    writers, per_writer = 4, 3
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work():
        try:
            barrier.wait()
            st = Storage(db_url)  # every thread migrates the fresh database at the same moment
            for _ in range(per_writer):
                st.ingest("regions", real_tables["regions"], "regions.csv")
            st.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    st = Storage(db_url)
    assert [v.version for v in st.versions("regions")] == list(range(1, writers * per_writer + 1))
    assert all(v.rows == 31 for v in st.versions("regions"))
    st.close()


def test_dataset_versions_cannot_be_changed_in_the_database(storage, real_tables):
    from talentcast.storage.schema import data_tables, dataset_versions

    storage.ingest("regions", real_tables["regions"], "regions.csv")
    before = snapshot(storage)
    changes = [
        dataset_versions.update().values(rows=0),
        dataset_versions.delete(),
        data_tables["regions"].update().values(name_zh="改过"),
        data_tables["regions"].delete(),
    ]
    for change in changes:
        with pytest.raises(sa.exc.DBAPIError, match="dataset versions are immutable"):
            with storage.engine.begin() as conn:
                conn.execute(change)
    assert snapshot(storage) == before


def test_a_database_at_the_first_revision_is_upgraded_on_open(db_url, real_tables):
    from alembic import command

    engine = sa.create_engine(db_url)
    config = migrate.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    engine.dispose()
    st = Storage(db_url)
    assert migrate.current_revision(st.engine) == migrate.head_revision() != "0001"
    st.ingest("regions", real_tables["regions"], "regions.csv")
    with pytest.raises(sa.exc.DBAPIError, match="immutable"):
        with st.engine.begin() as conn:
            conn.execute(sa.text("UPDATE data_regions SET name_zh = 'x'"))
    st.close()


# --------------------------------------------------------------------------- SIGKILL mid-transaction

# Runs in a child process: ingest (or save a run) and stop for good right after the rows are written, inside the
# still open transaction, so that the parent can SIGKILL it there. The pause wraps the real bulk_insert.
_KILLED_WRITER = """
import sys, time
import pandas as pd
from talentcast.storage import RunMeta, Storage
from talentcast.storage import datasets, results

what, url = sys.argv[1], sys.argv[2]
real_insert = datasets.bulk_insert

def insert_then_stop(conn, table, columns):
    real_insert(conn, table, columns)
    print("written", flush=True)
    time.sleep(300)

datasets.bulk_insert = results.bulk_insert = insert_then_stop
storage = Storage(url)
regions = pd.read_json(sys.stdin, dtype=str)
if what == "ingest":
    storage.ingest("regions", regions, "regions.csv")
else:
    gaps = pd.DataFrame({"region": ["450200"], "sector": ["C36"], "year": [2025], "openings_mean": [1.0]})
    storage.save_run({"gaps": gaps}, RunMeta(dataset_versions={"regions": 1}))
"""


@pytest.mark.parametrize("what", ["ingest", "save_run"])
def test_sigkill_inside_a_write_leaves_nothing_half_written(db_url, real_tables, what):
    """A writer killed with its rows written but not committed leaves the database as it was (SQLite: the
    journal is rolled back by the next opener; PostgreSQL: the server ends the dead client's transaction)."""
    storage = Storage(db_url)
    storage.ingest("regions", real_tables["regions"], "regions.csv")
    before = snapshot(storage)
    repo = Path(__file__).resolve().parents[1]
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, what, db_url], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=repo,
                             env={**os.environ, "PYTHONPATH": str(repo)})
    child.stdin.write(real_tables["regions"].to_json())
    child.stdin.close()
    line = child.stdout.readline()
    assert line.strip() == "written", child.stderr.read()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    storage.close()
    storage = Storage(db_url)  # the next start
    assert snapshot(storage) == before
    # ... and the next write is numbered as if the killed one never happened.
    assert storage.ingest("regions", real_tables["regions"], "regions.csv").version == 2
    run_id = storage.save_run({"gaps": pd.DataFrame({"region": ["450200"], "sector": ["C36"], "year": [2025],
                                                     "openings_mean": [1.0]})}, RunMeta())
    assert [r.run_id for r in storage.runs()] == [run_id] and len(storage.load_results("gaps", run_id=run_id)) == 1
    storage.close()
