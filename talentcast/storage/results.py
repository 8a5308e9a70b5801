"""Pipeline runs and their results: one run row and all its result frames, written in one transaction.

Readers (`latest_run`, `load_results(run_id=None)`) see a run only after its commit, complete, so they never
mix rows of two runs. The typed columns of each result kind are `schema.RESULT_COLUMNS`; any other column of a
result frame is kept in the JSON column `extra`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.errors import TalentcastError
from talentcast.storage.database import (
    Database,
    NotFoundError,
    aware,
    bulk_insert,
    column_values,
    json_value,
    plain,
    utcnow,
)
from talentcast.storage.schema import RESULT_COLUMNS, RESULT_KINDS, result_tables, runs as runs_table

RUN_STATUS_COMPLETE = "complete"


@dataclass
class RunMeta:
    """Metadata of one pipeline run. `run_id` and `created_at` are filled in by `Storage.save_run`."""

    run_id: int | None = None
    created_at: dt.datetime | None = None
    scenario_id: str | None = None
    scenario: dict = field(default_factory=dict)
    dataset_versions: dict[str, int] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    horizon: int | None = None
    status: str = RUN_STATUS_COMPLETE
    notes: str | None = None


class ResultStore:
    """Runs and results in one database (see `talentcast.storage.Storage`, which combines the stores)."""

    def __init__(self, database: Database):
        self.database = database

    def save_run(self, results: Mapping[str, pd.DataFrame], meta: RunMeta) -> int:
        """Write a run row and all its result frames in one transaction; returns the new run_id.

        Readers (`latest_run`, `load_results(run_id=None)`) see the run only after the commit, complete, so
        they never mix rows of two runs. `meta.run_id`, `created_at` and `status` are set on `meta`.

        Raises:
            TalentcastError: an unknown result kind, or a value that cannot be stored.
        """
        unknown = sorted(set(results) - set(RESULT_KINDS))
        if unknown:
            raise TalentcastError(f"unknown result kind(s) {unknown}; known kinds: {', '.join(RESULT_KINDS)}",
                                  f"未知的结果类型 {unknown}；可用：{'、'.join(RESULT_KINDS)}")
        created_at = utcnow()
        run_values = dict(
            created_at=created_at,
            scenario_id=meta.scenario_id,
            scenario=json_value(meta.scenario or {}, where="run scenario"),
            dataset_versions=json_value(dict(meta.dataset_versions or {}), where="run dataset_versions"),
            mlflow_run_id=meta.mlflow_run_id,
            horizon=None if meta.horizon is None else int(meta.horizon),
            status=RUN_STATUS_COMPLETE,
            notes=meta.notes,
        )
        with self.database.write() as conn:
            run_id = int(conn.execute(runs_table.insert().values(**run_values)).inserted_primary_key[0])
            for kind, frame in results.items():
                columns = _result_columns(kind, frame)
                bulk_insert(conn, result_tables[kind], {"run_id": [run_id] * len(frame),
                                                         "row_number": list(range(len(frame))), **columns})
        meta.run_id, meta.created_at, meta.status = run_id, created_at, RUN_STATUS_COMPLETE
        return run_id

    def latest_run(self, scenario_id: str | None = None) -> RunMeta | None:
        """The latest completed run: the baseline when `scenario_id` is None, else that scenario's."""
        condition = runs_table.c.scenario_id.is_(None) if scenario_id is None else runs_table.c.scenario_id == scenario_id
        query = (sa.select(runs_table).where(runs_table.c.status == RUN_STATUS_COMPLETE, condition)
                 .order_by(runs_table.c.run_id.desc()).limit(1))
        with self.database.read() as conn:
            row = conn.execute(query).mappings().first()
        return _run_from_row(row) if row is not None else None

    def get_run(self, run_id: int) -> RunMeta:
        """One run by id. Raises NotFoundError if there is none."""
        with self.database.read() as conn:
            row = conn.execute(sa.select(runs_table).where(runs_table.c.run_id == int(run_id))).mappings().first()
        if row is None:
            raise NotFoundError(f"run {run_id} does not exist", f"运行 {run_id} 不存在")
        return _run_from_row(row)

    def runs(self) -> list[RunMeta]:
        """All runs, newest first."""
        with self.database.read() as conn:
            rows = conn.execute(sa.select(runs_table).order_by(runs_table.c.run_id.desc())).mappings().all()
        return [_run_from_row(r) for r in rows]

    def load_results(self, kind: str, run_id: int | None = None, filters: Mapping[str, Any] | None = None,
                     year_from: int | None = None, year_to: int | None = None, limit: int | None = None,
                     offset: int = 0) -> pd.DataFrame:
        """Result rows of one kind for one run, in the order they were saved.

        Args:
            kind: demand, supply, supply_by_sector, gaps, major_pressure or warnings.
            run_id: a run; None -> the latest completed baseline run.
            filters: {column: value or list of values} on typed columns, e.g. {"region": "450200"}.
            year_from / year_to: inclusive bounds on `year` (`plan_year` for warnings).
            limit / offset: paging.

        Returns:
            Typed columns in contract order, then any extra columns; list/dict columns as Python objects.

        Raises:
            TalentcastError: unknown kind or filter column. NotFoundError: no such run / no run yet.
        """
        if kind not in RESULT_COLUMNS:
            raise TalentcastError(f"unknown result kind '{kind}'; known kinds: {', '.join(RESULT_KINDS)}",
                                  f"未知的结果类型“{kind}”；可用：{'、'.join(RESULT_KINDS)}")
        spec = RESULT_COLUMNS[kind]
        table = result_tables[kind]
        if run_id is None:
            latest = self.latest_run()
            if latest is None:
                raise NotFoundError("no completed baseline run yet; run `talentcast run` (or `talentcast demo`) first",
                                    "还没有已完成的基准运行；请先运行 `talentcast run`（或 `talentcast demo`）")
            run_id = latest.run_id
        else:
            self.get_run(run_id)
        query = sa.select(table).where(table.c.run_id == int(run_id))
        for column, value in (filters or {}).items():
            if column not in spec or spec[column] == "json":
                allowed = [c for c, t in spec.items() if t != "json"]
                raise TalentcastError(f"cannot filter {kind} on '{column}'; columns: {', '.join(allowed)}",
                                      f"{kind} 不能按“{column}”筛选；可用的列：{'、'.join(allowed)}")
            if isinstance(value, (list, tuple, set, frozenset)):
                query = query.where(table.c[column].in_([plain(v) for v in value]))
            elif value is None:
                query = query.where(table.c[column].is_(None))
            else:
                query = query.where(table.c[column] == plain(value))
        year_column = "plan_year" if "plan_year" in spec else "year"
        if year_from is not None:
            query = query.where(table.c[year_column] >= int(year_from))
        if year_to is not None:
            query = query.where(table.c[year_column] <= int(year_to))
        query = query.order_by(table.c.row_number)
        if limit is not None:
            query = query.limit(int(limit))
        if offset:
            query = query.offset(int(offset))
        with self.database.read() as conn:
            rows = conn.execute(query).all()
        return _results_frame(kind, rows, [c.name for c in table.columns])


def _result_columns(kind: str, frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Columns of a result frame: typed columns as values (JSON columns as JSON), the rest in `extra`."""
    spec = RESULT_COLUMNS[kind]
    records: dict[str, list[Any]] = {}
    for name, type_ in spec.items():
        if name not in frame.columns:
            records[name] = [None] * len(frame)
        elif type_ == "json":
            records[name] = [json_value(v, where=f"{kind}.{name}") for v in frame[name].tolist()]
        elif type_ == "int":
            values = column_values(frame[name])
            if not pd.api.types.is_integer_dtype(frame[name].dtype):
                values = [None if v is None else _whole(v, kind, name) for v in values]
            records[name] = values
        elif type_ == "float":
            column = frame[name]
            if column.dtype == object:
                numbers = pd.to_numeric(column, errors="coerce")
                bad = numbers.isna() & column.notna()
                if bad.any():
                    position = int(np.flatnonzero(bad.to_numpy())[0])
                    raise TalentcastError(f"result {kind}: row {position}, column '{name}', value "
                                          f"{column.iloc[position]!r} is not a number",
                                          f"结果 {kind}：第{position}行，“{name}”列，值 "
                                          f"{column.iloc[position]!r} 不是数字")
                column = numbers
            values = column_values(column)  # NaN -> None already
            if not pd.api.types.is_float_dtype(column.dtype):
                values = [None if v is None else float(v) for v in values]
            records[name] = values
        else:
            values = column_values(frame[name])
            if pd.api.types.infer_dtype(frame[name], skipna=True) not in ("string", "empty"):
                values = [None if v is None else str(v) for v in values]
            records[name] = values
    extra_columns = [c for c in frame.columns if c not in spec and c not in ("run_id", "row_number", "extra")]
    if extra_columns:
        extra_values = {c: [json_value(v, where=f"{kind}.{c}") for v in frame[c].tolist()] for c in extra_columns}
        records["extra"] = [dict(zip(extra_columns, row)) for row in zip(*extra_values.values())]
    else:
        records["extra"] = [None] * len(frame)
    return records


def _whole(value: Any, kind: str, name: str) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    raise TalentcastError(f"result {kind}: column '{name}' must hold whole numbers, got {value!r}",
                          f"结果 {kind}：“{name}”列必须是整数，实际为 {value!r}")


def _results_frame(kind: str, rows: list, db_columns: list[str]) -> pd.DataFrame:
    spec = RESULT_COLUMNS[kind]
    raw = pd.DataFrame.from_records(rows, columns=db_columns)
    out: dict[str, pd.Series] = {}
    for name, type_ in spec.items():
        values = raw[name]
        if type_ == "float":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif type_ == "int":
            out[name] = values.astype("Int64") if values.isna().any() else values.astype("int64")
        else:
            out[name] = values.astype(object).where(values.notna(), None)
    frame = pd.DataFrame(out, index=raw.index)
    extra_keys: dict[str, None] = {}
    for item in raw["extra"]:
        if isinstance(item, dict):
            extra_keys.update(dict.fromkeys(item))
    for key in extra_keys:
        frame[key] = [item.get(key) if isinstance(item, dict) else None for item in raw["extra"]]
    return frame.reset_index(drop=True)


def _run_from_row(row: Mapping[str, Any]) -> RunMeta:
    return RunMeta(
        run_id=int(row["run_id"]), created_at=aware(row["created_at"]), scenario_id=row["scenario_id"],
        scenario=row["scenario"] or {}, dataset_versions=row["dataset_versions"] or {},
        mlflow_run_id=row["mlflow_run_id"], horizon=row["horizon"], status=row["status"], notes=row["notes"],
    )


