"""The application service: the one place where talentcast does its job.

    load tables -> pipeline -> warnings -> track -> store

Every door calls this module and nothing else for that job: the CLI (`talentcast init / ingest / run / demo /
warnings / export`), the API (uploads, POST /v1/runs, scenarios, warnings for another rule set), the demo,
the notebooks and the benchmarks. Same input, same answer, whichever door a user comes in by.

Provenance: every dataset version's metadata says its kind (talentcast.provenance: real / user-supplied /
defaulted / generated); a run lists the kinds of the tables it used, and in a real workspace (made by
`init_workspace`, talentcast.workspace) it refuses generated tables unless asked (`allow_generated`).

`Service(storage, settings)` holds no state of its own beyond the fitted pipeline states it keeps for
scenarios (a small LRU shared by every Service of the process, keyed by database and run).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from early_warning import LEVELS, compute_warnings, load_rule_set
from features.contract import TABLE_NAMES
from features.errors import TalentcastError
from features.results import RESULT_KINDS
from features.validation import ValidatedTable, check_table, load_and_validate, validate_table
from forecasting.metrics import summarise
from forecasting.pipeline import PipelineResult, run_pipeline
from forecasting.results import PipelineState, apply_scenario
from forecasting.state_format import StateFormatError
from forecasting.scenarios import Scenario, load_scenario
from talentcast.export import (
    RunInfo,
    VersionInfo,
    build_export,
    check_language,
    export_kind,
    filter_results,
    filters_text,
)
from talentcast.export import check_format as check_export_format
from talentcast.reference_data import with_crosswalk_reference
from talentcast.demo import DEMO_REGION, GENERATED_DIR, build_demo_tables
from talentcast.provenance import GENERATED, KINDS, USER_SUPPLIED, dataset_kind, kind_label, with_kind
from talentcast.settings import Settings, get_settings
from talentcast.storage import ROLES, DatasetVersion, RunMeta, Storage, referenced_tables
from talentcast.tracking import ensure_store as ensure_tracking_store, track_run
from talentcast.workspace import (
    Region,
    Workspace,
    demo_workspace,
    new_workspace,
    read_workspace,
    resolve_region,
    workspace_regions,
    workspace_tables,
    write_workspace,
)

logger = logging.getLogger("talentcast.service")

EMBEDDED_SOURCE = "embedded:demo"  # source_file of embedded tables without a file of their own
PIPELINE_STEPS = ("load", "forecast", "reconcile", "supply", "gaps", "warnings", "track", "store")
DEFAULT_MIN_CLASS_SIZE = 20
_STATE_MEMORY = 4  # fitted states kept in memory (each holds sample paths; a few MB for a city)
# Tables compute_warnings cannot do without (a scenario takes them from the fitted state when it has them).
_WARNING_TABLES = ("enrolment", "schools", "majors")


class Busy(TalentcastError):
    """Another run is being computed in this process."""


@dataclass
class StoredRun:
    """A pipeline run saved by `Service.run`: storage run id, the in-memory result, MLflow run ids."""

    run_id: int
    result: PipelineResult
    mlflow_run_id: str | None
    tracking_runs: dict[str, str]
    warnings: pd.DataFrame | None
    tables: dict[str, pd.DataFrame]
    meta: RunMeta | None = None
    provenance: dict[str, list[str]] = field(default_factory=dict)  # kind -> ["schools v1", ...]
    region: str | None = None  # the region the run kept results for (None: the schools' regions)


@dataclass
class WorkspaceReport:
    """What `Service.init_workspace` did: the region, the folder, the dataset versions it stored."""

    region: Region
    home: Path
    workspace: Workspace
    versions: list[tuple[DatasetVersion, bool]]  # (version, newly stored)
    employment_regions: list[Region]
    missing_employment: list[Region]
    employment_years: dict[str, tuple[int, int]] = field(default_factory=dict)  # region -> (first, last year)
    breaks: list[str] = field(default_factory=list)


@dataclass
class WarningsAnswer:
    """Warnings for one run: the rows and where they come from (stored with the run, or computed now)."""

    frame: pd.DataFrame
    run: RunMeta
    computed: bool
    rule_set: str | None = None

    @property
    def source(self) -> str:
        if self.computed:
            return (f"computed from run {self.run.run_id}'s results and its own dataset versions with rule set "
                    f"'{self.rule_set}' (not saved)")
        return f"stored run {self.run.run_id}"


@dataclass
class ScenarioAnswer:
    """Gaps and warnings under a scenario (nothing stored) and the baseline run they start from."""

    run: RunMeta
    scenario: Scenario
    results: dict[str, pd.DataFrame] = field(default_factory=dict)


class _StateMemory:
    """The fitted pipeline states the process keeps for scenarios (LRU; memory, then disk, then rebuilt)."""

    def __init__(self, size: int = _STATE_MEMORY):
        self.size = size
        self._states: OrderedDict[tuple[str, int], PipelineState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> PipelineState | None:
        with self._lock:
            state = self._states.get(key)
            if state is not None:
                self._states.move_to_end(key)
            return state

    def clear(self) -> None:
        with self._lock:
            self._states.clear()

    def put(self, key: tuple[str, int], state: PipelineState) -> None:
        with self._lock:
            self._states[key] = state
            self._states.move_to_end(key)
            while len(self._states) > self.size:
                self._states.popitem(last=False)


_STATES = _StateMemory()
_RUN_LOCK = threading.Lock()


def state_path(home: str | Path, run_id: int) -> Path:
    """Where the fitted PipelineState of a stored run is kept (data only: forecasting.state_format)."""
    return Path(home) / "states" / f"run-{int(run_id)}.state.zip"


def legacy_state_path(home: str | Path, run_id: int) -> Path:
    """Where talentcast before #15 kept the state as a pickle; such a file is never loaded."""
    return Path(home) / "states" / f"run-{int(run_id)}.bin"


class Service:
    """talentcast's use cases over one storage and one settings object.

    Args:
        storage: the database (talentcast.storage.Storage).
        settings: horizon and seed defaults, the home folder for fitted states.
    """

    def __init__(self, storage: Storage, settings: Settings | None = None):
        self.storage = storage
        self.settings = settings or get_settings()

    # ---------------------------------------------------------------------------------------------- datasets

    def references(self, table: str, action: str = "check") -> dict[str, pd.DataFrame]:
        """The stored tables `table` is checked against; refuses when one of them has no data yet.

        Storing codes nobody checked would let orphan regions, sectors, majors or schools into the database,
        so validation and ingest both need the referenced tables first.
        """
        _check_table(table)
        references = self.storage.load_references(table)
        missing = [name for name in referenced_tables(table) if name not in references]
        if missing:
            raise TalentcastError(
                f"cannot {action} '{table}' yet: its codes are checked against {', '.join(missing)}, which "
                f"{'has' if len(missing) == 1 else 'have'} no data; ingest {', '.join(missing)} first "
                f"(order: {', '.join(TABLE_NAMES)})",
                f"“{table}”的代码要对照 {', '.join(missing)} 检查，而这些表还没有数据；"
                f"请先导入 {', '.join(missing)}（顺序：{', '.join(TABLE_NAMES)}）")
        return references

    def validate(self, table: str, path: str | Path, source: str | None = None, action: str = "check"
                 ) -> ValidatedTable:
        """Read and validate a file as `table` against the stored tables it references; store nothing.

        Raises:
            TalentcastError: a referenced table has no data yet.
            InputFileError: the file cannot be read.
            ValidationError: the table has errors (issues name file, row, column and reason).
        """
        return load_and_validate(table, path, self.references(table, action), source=source)

    def ingest(self, table: str, path: str | Path, source: str | None = None,
               metadata: Mapping[str, Any] | None = None, skip_unchanged: bool = False
               ) -> tuple[ValidatedTable, DatasetVersion, bool]:
        """Validate a file and store it as the next version of `table`, in one transaction.

        Returns:
            (the validated table, its version, whether a new version was stored); with `skip_unchanged`, data
            equal to the current version stores nothing and returns the current version.
        """
        checked = self.validate(table, path, source=source, action="ingest")
        name = source or str(path)
        return (checked, *self.store(table, checked.frame, name, file_metadata(path, metadata), skip_unchanged))

    def ingest_frame(self, table: str, frame: pd.DataFrame, source: str,
                     metadata: Mapping[str, Any] | None = None, skip_unchanged: bool = True
                     ) -> tuple[DatasetVersion, bool]:
        """Validate an in-memory table (the embedded data) and store it like a file."""
        checked = validate_table(table, frame, source, references=self.references(table, "ingest"))
        return self.store(table, checked.frame, source, metadata, skip_unchanged)

    def load_demo(self, progress: Callable[[str], None] | None = None,
                  tables: Mapping[str, tuple[pd.DataFrame, dict]] | None = None) -> list[DatasetVersion]:
        """Validate and store every embedded demo table, skipping tables whose data is already current.

        Tables come in contract order, each checked against the tables stored before it, exactly as a planner's
        files are (`ingest_frame`); running the demo twice does not pile up versions.

        Args:
            progress: called with one line per table, e.g. "regions v1 stored (12 rows)".
            tables: {table: (frame, metadata)} instead of `talentcast.demo.build_demo_tables()`.
        """
        self.refuse_in_real_workspace("the demo data (generated) is not loaded into it")
        report = progress or (lambda message: None)
        loaded: list[DatasetVersion] = []
        for table, (frame, metadata) in (tables if tables is not None else build_demo_tables()).items():
            source = str((metadata or {}).get("source_file") or EMBEDDED_SOURCE)
            version, stored = self.ingest_frame(table, frame, source, metadata, skip_unchanged=True)
            report(f"{table} v{version.version} {'stored' if stored else 'unchanged'} ({version.rows} rows, "
                   f"{dataset_kind(version.metadata)})")
            loaded.append(version)
        if self.workspace() is None:
            write_workspace(self.settings.home, demo_workspace(DEMO_REGION))
        return loaded

    # ------------------------------------------------------------------------------------------- workspaces

    def workspace(self) -> Workspace | None:
        """The workspace marker of the home folder (None: a plain home, e.g. the default ./.talentcast)."""
        return read_workspace(self.settings.home)

    def real_workspace_region(self) -> str | None:
        """The region of the real workspace this storage belongs to (marker file or stored metadata), else None."""
        marker = self.workspace()
        if marker is not None and marker.is_real:
            return marker.region
        regions = self.storage.current_version("regions")
        if regions is not None and regions.metadata.get("workspace"):
            return str(regions.metadata["workspace"])
        return None

    def refuse_in_real_workspace(self, what: str) -> None:
        """Raise when this is a real workspace: the demo lives in its own workspace and never leaks into one."""
        region = self.real_workspace_region()
        if region is None:
            return
        marker = self.workspace()
        name = marker.describe() if marker is not None and marker.is_real else f"the workspace of region {region}"
        raise TalentcastError(
            f"{self.settings.home} is {name} (real data): {what}; run the demo in its own folder, e.g. "
            f"`talentcast demo --dir ./talentcast-demo`",
            f"{self.settings.home} 是真实数据的工作区，不载入演示数据；请在单独目录运行演示，例如 "
            f"`talentcast demo --dir ./talentcast-demo`")

    def init_workspace(self, region: str | Region, progress: Callable[[str], None] | None = None
                       ) -> WorkspaceReport:
        """Make the home folder the workspace of one city or province and load its real tables.

        Stores, in contract order, the regions, sectors and majors (real code lists), the real employment of
        the region and its province (a province: and all its prefecture cities), the official crosswalk (real,
        derived) and default sector parameters (defaulted), then writes `workspace.json`. Running it again for
        the same region stores nothing new. The planner then ingests schools and enrolment and runs.

        Raises:
            TalentcastError: unknown region (close matches named); the folder is the demo workspace, another
                region's workspace, or already holds data of its own.
        """
        target = region if isinstance(region, Region) else resolve_region(region)
        home = Path(self.settings.home)
        marker = self.workspace()
        if marker is not None and not marker.is_real:
            raise TalentcastError(f"{home} is the demo workspace (generated data); choose another folder with --dir",
                                  f"{home} 是演示工作区（生成数据），不能用作真实工作区；请用 --dir 另选目录")
        if marker is not None and marker.region != target.code:
            raise TalentcastError(f"{home} is already {marker.describe()}; choose another folder with --dir",
                                  f"{home} 已是其他地区的工作区（{marker.name_zh or marker.region or '演示'}）；"
                                  "请用 --dir 另选目录")
        stored_region = self.real_workspace_region()
        if marker is None and self.storage.current_versions() and stored_region != target.code:
            raise TalentcastError(f"{home} already holds data that talentcast init did not load "
                                  f"({', '.join(sorted(self.storage.current_versions()))}); choose an empty "
                                  f"folder with --dir", f"{home} 已有不是 talentcast init 载入的数据"
                                  f"（{'、'.join(sorted(self.storage.current_versions()))}）；请用 --dir 换一个空目录")
        report = progress or (lambda message: None)
        stored: list[tuple[DatasetVersion, bool]] = []
        tables = workspace_tables(target)
        for table, (frame, metadata) in tables.items():
            version, new = self.ingest_frame(table, frame, f"talentcast init --region {target.code}", metadata,
                                             skip_unchanged=True)
            report(f"{table} v{version.version} {'stored' if new else 'unchanged'} ({version.rows} rows, "
                   f"{kind_label(dataset_kind(version.metadata))})")
            stored.append((version, new))
        workspace = marker if marker is not None else new_workspace(target)
        write_workspace(home, workspace)
        loaded = workspace_regions(target)
        employment, employment_meta = tables["employment"]
        years = employment.groupby("region")["year"].agg(["min", "max"])
        return WorkspaceReport(region=target, home=home, workspace=workspace, versions=stored,
                               employment_regions=[r for r in loaded if r.code in years.index],
                               missing_employment=[r for r in loaded if r.code not in years.index],
                               employment_years={str(c): (int(a), int(b)) for c, a, b in
                                                 zip(years.index, years["min"], years["max"])},
                               breaks=list(employment_meta.get("breaks") or []))

    def store(self, table: str, frame: pd.DataFrame, source: str, metadata: Mapping[str, Any] | None,
              skip_unchanged: bool) -> tuple[DatasetVersion, bool]:
        metadata = with_kind(metadata, USER_SUPPLIED)
        if skip_unchanged:
            current = self.storage.is_current(table, frame)
            if current is not None and dataset_kind(current.metadata) == metadata["kind"]:
                return current, False
        return self.storage.ingest(table, frame, source_file=source, metadata=metadata), True

    # ---------------------------------------------------------------------------------------------- API keys

    def create_api_key(self, role: str, school: str | None = None, region: str | None = None,
                       name: str = "") -> tuple[str, Any]:
        """Create an API key whose scope is checked against the stored tables; returns (plaintext, ApiKey).

        A region or school given but empty would leave the key unrestricted, and a code that is not stored
        would make a key whose scope means nothing, so both are refused: a planner's --region must be a code of
        the stored regions table, a school key's --school a code of the stored schools table. Omitting
        --region for a planner (a key for every region) stays possible, but has to be asked for by leaving
        the option out.

        Raises:
            TalentcastError: unknown role; an option that does not fit the role; an empty or unknown code.
        """
        if role not in ROLES:
            raise TalentcastError(f"unknown role '{role}'; roles: {', '.join(ROLES)}",
                                  f"未知角色“{role}”；可用角色：{'、'.join(ROLES)}")
        if role != "school" and school is not None:
            raise TalentcastError("--school is only for --role school", "--school 只用于 --role school")
        if role != "planner" and region is not None:
            raise TalentcastError(f"--region is only for --role planner (a {role} key is scoped by its role"
                                  f"{' and school' if role == 'school' else ''})", "--region 只用于 --role planner")
        for option, value in (("--region", region), ("--school", school)):
            if value is not None and not str(value).strip():
                raise TalentcastError(f"{option} is empty: give a code, or leave {option} out"
                                      + (" for a planner of every region" if option == "--region" else ""),
                                      f"{option} 为空：请给出代码")
        if region is not None:
            region = str(region).strip()
            self._check_stored_code("regions", region, "--region")
        if school is not None:
            school = str(school).strip()
            self._check_stored_code("schools", school, "--school")
        return self.storage.create_api_key(role, school=school, region=region, name=name)

    def _check_stored_code(self, table: str, code: str, option: str) -> None:
        """Raise unless `code` is in the current version of reference `table`."""
        version = self.storage.current_version(table)
        codes = set() if version is None else set(self.storage.load_table(table)["code"].astype(str))
        if code in codes:
            return
        if version is None:
            raise TalentcastError(f"{option} {code}: no {table} are stored yet; ingest {table} first "
                                  f"(`talentcast ingest {table} FILE`, or `talentcast init` / `talentcast demo`)",
                                  f"{option} {code}：尚未导入 {table}，请先导入")
        close = sorted(c for c in codes if c.startswith(code[:2]))[:5]
        raise TalentcastError(f"{option} {code}: not a code of the stored {table} (version {version.version})"
                              + (f"; e.g. {', '.join(close)}" if close else ""),
                              f"{option} {code}：不在已导入的 {table} 中")

    # --------------------------------------------------------------------------------------------------- runs

    def run(self, horizon: int | None = None, scenario: Any = None, region: str | None = None,
            track: bool = True, n_paths: int = 1000, method: str = "auto", engine: str = "local",
            progress: Callable[[str], None] | None = None, wait: bool = True,
            allow_generated: bool = False) -> StoredRun:
        """Run the pipeline on the current dataset versions, add warnings, track in MLflow and store the run.

        One unit of work: the run row and all its results are written in one transaction, after MLflow has
        the forecasts; the fitted state is written beside the database for scenarios. The run's notes say which
        tables were real, user-supplied, defaulted or generated.

        Args:
            horizon: forecast years (default settings.horizon_years, lengthened when the employment data end
                too early to reach the year next year's intake graduates; see `default_horizon`).
            scenario: None, a Scenario, a dict or a YAML/JSON path.
            region: keep results for this region and its descendants (None: the workspace's region in a real
                workspace, else the schools' regions).
            track: record forecasts and backtests in MLflow.
            progress: called with each of PIPELINE_STEPS as it starts.
            wait: False refuses at once (Busy) when another run is being computed in this process.
            allow_generated: in a real workspace, run even when a table is generated (demo) data.

        Raises:
            TalentcastError: a real workspace holds generated tables and `allow_generated` is False; a real
                workspace has no schools or enrolment yet; any pipeline input error.
        """
        if not _RUN_LOCK.acquire(blocking=wait):
            raise Busy("a run is already being computed; try again when it has finished",
                       "已有一次运行正在计算，请在其完成后再试")
        try:
            return self._run(horizon, scenario, region, track, n_paths, method, engine, progress, allow_generated)
        finally:
            _RUN_LOCK.release()

    def provenance(self, versions: Mapping[str, int] | None = None) -> dict[str, list[str]]:
        """{kind: ["table vN", ...]} of the current dataset versions (or of `versions`), kinds in KINDS order."""
        versions = dict(self.storage.current_versions() if versions is None else versions)
        kinds: dict[str, list[str]] = {}
        for v in self.storage.versions():
            if versions.get(v.table) == v.version:
                label = f"{v.table} v{v.version}" + (" (partly)" if v.metadata.get("synthetic_rows") else "")
                kinds.setdefault(dataset_kind(v.metadata), []).append(label)
        order = {name: i for i, name in enumerate(TABLE_NAMES)}
        return {kind: sorted(kinds[kind], key=lambda t: order.get(t.split(" ")[0], 99)) for kind in KINDS
                if kind in kinds}

    def _check_real_workspace(self, versions: Mapping[str, int], provenance: dict[str, list[str]],
                              allow_generated: bool) -> str | None:
        """The real workspace's region (None: no real workspace); refuses what a real run must not use."""
        region = self.real_workspace_region()
        if region is None:
            return None
        missing = [t for t in ("schools", "enrolment") if t not in versions]
        if missing:
            raise TalentcastError(
                f"this workspace has no {' and no '.join(missing)} yet: add yours with "
                + ", then ".join(f"`talentcast ingest {t} FILE`" for t in missing)
                + " (columns: docs/data-contract.md)",
                f"此工作区还没有 {'、'.join(missing)} 数据：请先用 "
                + "、".join(f"`talentcast ingest {t} FILE`" for t in missing)
                + " 导入学校和招生数据（列说明见 docs/data-contract.md）")
        if provenance.get(GENERATED) and not allow_generated:
            raise TalentcastError(
                f"this is a real workspace ({region}) but {', '.join(provenance[GENERATED])} "
                f"{'is' if len(provenance[GENERATED]) == 1 else 'are'} generated (demo) data; ingest your own "
                "file(s), or run with --allow-generated to use them anyway",
                f"这是真实数据的工作区（{region}），但 {'、'.join(provenance[GENERATED])} 是生成（演示）数据，"
                "真实工作区拒绝使用；请导入自己的文件，或加 --allow-generated 仍然使用")
        return region

    def default_horizon(self, tables: Mapping[str, pd.DataFrame]) -> tuple[int, str | None]:
        """Forecast years when none are asked for: settings.horizon_years, or more when the employment data end
        too early to reach the year next year's intake graduates (real data may end in 2015); at most 20.

        Returns:
            (horizon, note for the run or None).
        """
        horizon = int(self.settings.horizon_years)
        employment, enrolment = tables.get("employment"), tables.get("enrolment")
        if employment is None or employment.empty or enrolment is None or enrolment.empty:
            return horizon, None
        last = int(employment["year"].max())
        # The cohort admitted next season graduates three years later (3-year programmes; 4-year ones later).
        target = int(enrolment["year"].max()) + 1 + 3
        if last + horizon >= target:
            return horizon, None
        longer = min(20, target - last)
        return longer, (f"employment data end in {last}: forecasting {longer} years ahead ({last + 1}-"
                        f"{last + longer}) to reach {last + longer}, when next year's intake graduates; the "
                        "intervals widen with every year")

    def _run(self, horizon, scenario, region, track, n_paths, method, engine, progress,
             allow_generated=False) -> StoredRun:
        step = progress or (lambda name: None)
        step("load")
        scenario_obj = load_scenario(scenario) if scenario is not None else None  # the user's input first
        if track:
            ensure_tracking_store()  # a damaged MLflow store is reported now, not after minutes of computing
        versions = self.storage.current_versions()
        provenance = self.provenance(versions)
        workspace_region = self._check_real_workspace(versions, provenance, allow_generated)
        tables = self.storage.load_tables()
        region_note = None
        if region is None and workspace_region is not None:
            region, region_note = _region_with_employment(tables, workspace_region)
        horizon_note = None
        if horizon:
            horizon = int(horizon)
        else:
            horizon, horizon_note = self.default_horizon(tables)
        breaks = self.declared_breaks(versions)
        result = run_pipeline(with_crosswalk_reference(tables), horizon=horizon, scenario=scenario_obj,
                              seed=self.settings.random_seed, n_paths=n_paths, region=region, method=method,
                              engine=engine, progress=step, breaks=breaks)
        for note in (horizon_note, region_note):
            if note:
                result.meta["notes"].insert(0, note)
        result.meta["notes"].insert(0, provenance_note(provenance))
        result.meta["provenance"] = provenance
        result.meta["dataset_versions"] = dict(versions)
        results = dict(result.results)
        step("warnings")
        # plan_year=None: the next admission season after the latest recorded intake, not the first
        # forecast year.
        warnings = compute_warnings(tables, results, plan_year=None, rule_set=None, region=region)
        results["warnings"] = warnings
        step("track")
        scenario_id = scenario_obj.id if scenario_obj else None
        tracking_runs = track_pipeline(result, versions, scenario_id) if track else {}
        step("store")
        notes = list(result.meta["notes"])
        if tracking_runs.get("backtest"):
            notes.append(f"MLflow backtest run {tracking_runs['backtest']}")
        meta = RunMeta(scenario_id=scenario_id, scenario=scenario_obj.to_dict() if scenario_obj else {},
                       dataset_versions=dict(versions), mlflow_run_id=tracking_runs.get("forecast"),
                       horizon=horizon, notes="; ".join(notes) or None)
        run_id = self.storage.save_run(results, meta)
        self._save_state(run_id, result.state)
        return StoredRun(run_id=run_id, result=result, mlflow_run_id=tracking_runs.get("forecast"),
                         tracking_runs=tracking_runs, warnings=warnings, tables=tables,
                         meta=self.storage.get_run(run_id), provenance=provenance, region=region)

    def declared_breaks(self, versions: Mapping[str, int] | None = None) -> list[str] | None:
        """Level-shift periods the employment dataset's metadata declares (`"breaks"`, e.g. ["2013"]), else None.

        Real employment built from the NBS and City Statistical Yearbook files declares the 2013 survey-frame
        break; a user declares one with `talentcast ingest employment FILE --metadata '{"breaks": ["2013"]}'`.
        """
        versions = dict(self.storage.current_versions() if versions is None else versions)
        if "employment" not in versions:
            return None
        for v in self.storage.versions("employment"):
            if v.version == versions["employment"]:
                periods = v.metadata.get("breaks")
                if isinstance(periods, (list, tuple)) and periods:
                    return [str(p) for p in periods]
        return None

    def latest_run(self) -> RunMeta:
        run = self.storage.latest_run()
        if run is None:
            raise TalentcastError("no completed run yet; run `talentcast run` (or `talentcast demo`) first",
                                  "还没有已完成的运行；请先运行 `talentcast run`（或 `talentcast demo`）")
        return run

    def get_run(self, run_id: int | None) -> RunMeta:
        """Run `run_id`, or the latest completed baseline run when None."""
        return self.latest_run() if run_id is None else self.storage.get_run(int(run_id))

    def run_tables(self, run: RunMeta) -> dict[str, pd.DataFrame]:
        """The input tables at the dataset versions the run used (latest versions for tables it does not list)."""
        versions = dict(run.dataset_versions or {})
        current = self.storage.current_versions()
        tables = {}
        for name in TABLE_NAMES:
            version = versions.get(name, current.get(name))
            if version is not None:
                tables[name] = self.storage.load_table(name, int(version))
        return tables

    def results(self, kind: str, run_id: int | None = None, filters: Mapping[str, Any] | None = None
                ) -> pd.DataFrame:
        """Stored results of one kind for a run (the latest baseline run by default)."""
        if kind not in RESULT_KINDS:
            raise TalentcastError(f"unknown result '{kind}'; known: {', '.join(RESULT_KINDS)}",
                                  f"未知的结果类型“{kind}”；可用：{'、'.join(RESULT_KINDS)}")
        run = self.get_run(run_id)
        return self.storage.load_results(kind, run_id=run.run_id, filters=filters)

    # ---------------------------------------------------------------------------------------------- warnings

    def warnings(self, run_id: int | None = None, rule_set: str | Path | None = None,
                 plan_year: int | None = None, region: str | None = None,
                 min_class_size: int | None = None) -> WarningsAnswer:
        """Warnings of a run: the stored rows when they answer the request, otherwise computed now from the
        run's own results and dataset versions with `rule_set` (nothing is written).

        Args:
            run_id: the run (default: the latest completed baseline run).
            rule_set: a built-in name or a YAML file (default: the one stored with the run).
            plan_year: admission year (default: the stored one).
            region: only schools in this region.
            min_class_size: minimum viable class (default 20; 0 disables it).
        """
        parsed = load_rule_set(rule_set) if rule_set is not None else None  # refuse a bad file before work
        run = self.get_run(run_id)
        stored = self.storage.load_results("warnings", run_id=run.run_id,
                                           filters={"region": region} if region else None)
        if _stored_answer(stored, rule_set, parsed, plan_year, min_class_size):
            frame = stored if plan_year is None else stored[stored["plan_year"].astype(int) == int(plan_year)]
            return WarningsAnswer(frame.reset_index(drop=True), run, computed=False,
                                  rule_set=str(stored["rule_set"].iloc[0]) if len(stored) else None)
        tables = self.run_tables(run)
        results = {kind: self.storage.load_results(kind, run_id=run.run_id)
                   for kind in ("gaps", "major_pressure", "supply")}
        if plan_year is None and len(stored):
            plan_year = int(stored["plan_year"].iloc[0])
        frame = compute_warnings(tables, results, plan_year, rule_set=parsed, region=region,
                                 min_class_size=DEFAULT_MIN_CLASS_SIZE if min_class_size is None
                                 else min_class_size)
        return WarningsAnswer(frame.reset_index(drop=True), run, computed=True,
                              rule_set=parsed.name if parsed is not None else None)

    # ----------------------------------------------------------------------------------------------- exports

    def export(self, kind: str, fmt: str = "xlsx", run_id: int | None = None,
               filters: Mapping[str, Any] | None = None, *, lang: str = "zh",
               region_scope: Callable[[str], bool] | None = None, scope_label: str | None = None,
               rule_set: str | Path | None = None) -> bytes:
        """A run's results of one kind as an XLSX or CSV file for people (talentcast.export).

        The CLI (`talentcast export`) and the API (`GET /v1/gaps?format=csv`, ...) both hand on these bytes, so
        the same run and filters give the same file through either door.

        Args:
            kind: gaps, forecasts (= demand), supply or warnings (or a result kind).
            fmt: xlsx (a table sheet and a "说明 About" sheet) or csv (UTF-8 with a BOM).
            run_id: the run (default: the latest completed baseline run).
            filters: {region, sector, school, major, level: code or value; year_from, year_to: int} on the
                columns the kind has (a filter on a column it lacks is refused).
            lang: "zh" (Chinese headers above the column names, Chinese names) or "en".
            region_scope: a predicate on region codes the caller may read (the API's planner scope).
            scope_label: how the About sheet names that scope.
            rule_set: warnings only: compute them under this rule set (as `Service.warnings`), not stored ones.
        """
        result_kind = export_kind(kind)
        check_export_format(fmt)
        check_language(lang)
        run = self.get_run(run_id)
        notes: list[str] = []
        if result_kind == "warnings" and rule_set is not None:
            answer = self.warnings(run_id=run.run_id, rule_set=rule_set)
            frame = answer.frame
            notes.append(answer.source)
        elif rule_set is not None:
            raise TalentcastError(f"a rule set applies to warnings, not to {kind}",
                                  f"规则集只适用于 warnings，不适用于 {kind}")
        else:
            frame = self.storage.load_results(result_kind, run_id=run.run_id)
        frame = filter_results(result_kind, frame, filters, region_scope)
        return self.export_frame(result_kind, frame, run, fmt, lang=lang,
                                 filters=filters_text(filters, scope_label), notes=notes)

    def export_frame(self, kind: str, frame: pd.DataFrame, run: RunMeta, fmt: str = "xlsx", *, lang: str = "zh",
                     filters: str = "none 无", notes: list[str] | tuple[str, ...] = ()) -> bytes:
        """Rows of result `kind` (already selected) of `run` as an export file, with names from the run's own
        input tables and, in XLSX, the run's dataset versions (real or generated) on the About sheet."""
        versions_used = {str(t): int(v) for t, v in (run.dataset_versions or {}).items()}
        name_tables = {}
        for table in ("regions", "sectors", "schools", "majors"):
            if table in versions_used:
                name_tables[table] = self.storage.load_table(table, versions_used[table])
        versions = [VersionInfo(v.table, v.version, v.rows, v.source_file, v.created_at, dict(v.metadata or {}))
                    for v in self.storage.versions() if versions_used.get(v.table) == v.version]
        order = {name: i for i, name in enumerate(TABLE_NAMES)}
        versions.sort(key=lambda v: (order.get(v.table, len(order)), v.table))
        return build_export(kind, frame, fmt, run=RunInfo.of(run), tables=name_tables, versions=versions,
                            lang=lang, filters=filters, notes=notes)

    # --------------------------------------------------------------------------------------------- scenarios

    def scenario(self, scenario: Any, run_id: int | None = None) -> ScenarioAnswer:
        """Gaps and warnings of a run (default: the latest baseline) under `scenario`; nothing is stored.

        The run's fitted state is reused (no refit): the same paths and random numbers as the baseline, so a
        difference is the scenario's doing.
        """
        parsed = load_scenario(scenario)
        run = self.get_run(run_id)
        state = self.baseline_state(run)
        try:
            results = dict(apply_scenario(state, parsed))
        except TalentcastError:
            raise
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            # A state saved by an older talentcast no longer fits the current code: refit it once from the
            # run's own inputs (same seed) and try again; a second failure is a real error.
            logger.warning("the saved state of run %s does not fit this version; rebuilding it", run.run_id,
                           exc_info=True)
            state = self.baseline_state(run, rebuild=True)
            results = dict(apply_scenario(state, parsed))
        # A run's warnings share one plan year (compute_warnings picks it once): one row says which.
        baseline = self.storage.load_results("warnings", run_id=run.run_id, limit=1)
        plan_year = int(baseline["plan_year"].min()) if len(baseline) else None
        # The state holds the run's own input tables (no second read of every table from the database).
        tables = state.tables if all(name in state.tables for name in _WARNING_TABLES) else self.run_tables(run)
        results["warnings"] = compute_warnings(tables, results, plan_year, rule_set=None)
        return ScenarioAnswer(run=run, scenario=parsed, results=results)

    def baseline_state(self, run: RunMeta, rebuild: bool = False) -> PipelineState:
        """The fitted PipelineState of `run` (memory, then disk, then rebuilt from the run's own inputs)."""
        key = (str(self.storage.url), int(run.run_id))
        if not rebuild:
            state = _STATES.get(key)
            if state is not None:
                return state
            path = state_path(self.settings.home, run.run_id)
            if path.is_file():
                try:
                    state = PipelineState.from_bytes(path.read_bytes())
                    _STATES.put(key, state)
                    return state
                except (StateFormatError, OSError) as exc:  # older format or damaged: rebuilt below
                    logger.warning("%s: %s; rebuilding the state from run %s's inputs", path, exc, run.run_id)
            legacy = legacy_state_path(self.settings.home, run.run_id)
            if legacy.is_file():
                # Never unpickled (a pickle can run code); the state is refitted from the run's own inputs.
                logger.warning("%s is a pickled state from an older talentcast and is not loaded (loading a pickle "
                               "can run code); rebuilding run %s's state in the data-only format", legacy, run.run_id)
        result = run_pipeline(with_crosswalk_reference(self.run_tables(run)),
                              horizon=run.horizon or self.settings.horizon_years, seed=self.settings.random_seed,
                              breaks=self.declared_breaks(run.dataset_versions or None))
        self._save_state(run.run_id, result.state)
        return result.state

    def _save_state(self, run_id: int, state: PipelineState) -> None:
        _STATES.put((str(self.storage.url), int(run_id)), state)
        path = state_path(self.settings.home, run_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(state.to_bytes())
            tmp.replace(path)  # atomic: a reader never sees half a file
        except OSError:
            logger.warning("could not save the pipeline state of run %s", run_id, exc_info=True)


def _region_with_employment(tables: Mapping[str, pd.DataFrame], region: str) -> tuple[str, str | None]:
    """`region`, or its nearest ancestor with employment rows when it has none (a city missing from the city
    panel): results are then kept for that ancestor and everything in it, and the note says so."""
    employment, regions = tables.get("employment"), tables.get("regions")
    if employment is None or regions is None or employment.empty:
        return region, None
    observed = set(employment["region"].astype(str))
    parents = {str(c): (None if p is None or pd.isna(p) else str(p)) for c, p in zip(regions["code"], regions["parent"])}
    below = {code for code in parents if code == region or parents.get(code) == region}
    if observed & below:
        return region, None
    ancestor = parents.get(region)
    while ancestor is not None and ancestor not in observed:
        ancestor = parents.get(ancestor)
    if ancestor is None:
        return region, None
    return ancestor, (f"region {region} has no employment series of its own: results are for {ancestor}, which "
                      f"contains it (its schools' supply counts there)")


def file_metadata(path: str | Path, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The metadata of an ingested file: user-supplied, or generated when it is a shipped demo file
    (talentcast/data/generated); a kind the metadata states itself wins."""
    out = dict(metadata or {})
    if "kind" in out or "synthetic" in out:
        return with_kind(out, USER_SUPPLIED)
    try:
        shipped = Path(path).resolve().is_relative_to(GENERATED_DIR.resolve())
    except OSError:
        shipped = False
    if shipped:
        out.update(kind=GENERATED, note="a shipped file of the generated demo (talentcast/data/generated)")
    return with_kind(out, USER_SUPPLIED)


def provenance_note(provenance: Mapping[str, list[str]]) -> str:
    """One line: which tables a run used, by kind (real / user-supplied / defaulted / generated)."""
    parts = [f"{kind_label(kind)}: {', '.join(tables)}" for kind, tables in provenance.items() if tables]
    return "data 数据 - " + ("; ".join(parts) if parts else "no tables")


def load_embedded_dataset(storage: Storage, progress: Callable[[str], None] | None = None,
                          tables: Mapping[str, tuple[pd.DataFrame, dict]] | None = None) -> list[DatasetVersion]:
    """`Service(storage).load_demo(...)`, for notebooks and tests that hold only a Storage."""
    return Service(storage).load_demo(progress=progress, tables=tables)


def run_and_store(storage: Storage, settings: Settings | None = None, **options: Any) -> StoredRun:
    """`Service(storage, settings).run(**options)`, for notebooks and benchmarks that hold only a Storage."""
    return Service(storage, settings).run(**options)


def _check_table(table: str) -> None:
    check_table(table)  # TalentcastError naming the known tables


def _is_file(rules: str | Path) -> bool:
    text = str(rules)
    return text.endswith((".yaml", ".yml")) or "/" in text or Path(text).exists()


def _stored_answer(stored: pd.DataFrame, rule_set: str | Path | None, parsed: Any, plan_year: int | None,
                   min_class_size: int | None) -> bool:
    """True when the stored warnings answer the request as they are (no recomputation needed)."""
    if stored is None or not len(stored):
        return False
    if rule_set is not None:
        if _is_file(rule_set):
            return False  # a user's file may share a built-in name but not its rules
        if set(stored["rule_set"]) != {parsed.name}:
            return False
    if plan_year is not None and int(plan_year) not in set(stored["plan_year"].astype(int)):
        return False
    return min_class_size in (None, DEFAULT_MIN_CLASS_SIZE)


def track_pipeline(result: PipelineResult, dataset_versions: Mapping[str, int], scenario_id: str | None,
                   with_backtest: bool = True) -> dict[str, str]:
    """Record the run's demand forecasts (and the engine's rolling-origin backtests) in MLflow.

    Returns:
        {"forecast": run id, "backtest": run id (when a backtest exists)}.
    """
    # MLflow logs its store set-up at INFO ("Creating initial MLflow database tables..."): not for users.
    logging.getLogger("mlflow").setLevel(logging.WARNING)

    meta = result.meta
    engine_results = meta.get("forecast_results") or []
    forecasts = pd.concat([r.forecasts for r in engine_results], ignore_index=True) if engine_results else None
    selection = pd.concat([r.selection for r in engine_results], ignore_index=True) if engine_results else None
    params = {"pipeline.horizon": meta["horizon"], "pipeline.base_year": meta["base_year"],
              "pipeline.seed": meta["seed"], "pipeline.n_paths": meta["n_paths"],
              "pipeline.region": meta["region"] or "all", "pipeline.scenario_id": scenario_id or "baseline",
              "pipeline.crosswalk": meta["map_source"],
              **{f"dataset.{table}": version for table, version in sorted(dataset_versions.items())}}
    gaps = result.results["gaps"]
    metrics = {"gaps.rows": len(gaps), "gaps.p_shortage_gt_0.5": float((gaps["p_shortage"] > 0.5).sum()),
               "gaps.p_surplus_gt_0.5": float((gaps["p_surplus"] > 0.5).sum()),
               "demand.graduate_openings_total": float(result.results["demand"]["graduate_openings_mean"].sum()),
               "supply.graduate_entrants_total": float(result.results["supply"]["graduate_entrants"].sum())}
    runs: dict[str, str] = {}
    if with_backtest:
        scores = [r.scores for r in engine_results if r.scores is not None and len(r.scores)]
        backtests = [r.backtest for r in engine_results if r.backtest is not None and len(r.backtest)]
        if scores:
            summary = summarise(pd.concat(scores, ignore_index=True))
            bt_metrics = {f"{row['model']}.{m}": row[m] for _, row in summary.iterrows()
                          for m in ("mase", "smape", "coverage_80", "coverage_95") if m in summary.columns}
            runs["backtest"] = track_run(
                "backtest", {**params, "backtest.kind": "inner rolling origin (engine auto selection)"},
                bt_metrics, artifacts={"backtest.csv": pd.concat(backtests, ignore_index=True) if backtests
                                       else None, "scores.csv": summary},
                tags={"talentcast.source": "pipeline"})
            metrics.update({f"backtest.{k}": v for k, v in bt_metrics.items() if k.endswith(".mase")})
    runs["forecast"] = track_run(
        "forecast", params, metrics,
        artifacts={"employment_forecasts.csv": forecasts, "selection.csv": selection,
                   "demand.csv": result.results["demand"], "gaps.csv": gaps},
        tags={"talentcast.source": "pipeline", **({"talentcast.backtest_run": runs["backtest"]}
                                                   if "backtest" in runs else {})})
    return runs


# ------------------------------------------------------------------------------------------ summaries


def _names(table: pd.DataFrame | None, key: str = "code") -> dict[str, tuple[str, str]]:
    if table is None or table.empty:
        return {}
    en = table["name_en"] if "name_en" in table else pd.Series([""] * len(table), index=table.index)
    zh = table["name_zh"] if "name_zh" in table else table.get("name", en)
    return {str(c): (str(z), "" if pd.isna(e) else str(e)) for c, z, e in zip(table[key], zh, en)}


def summarise_gaps(results: dict, tables: dict, region: str, year: int, n: int = 5) -> dict[str, pd.DataFrame]:
    """Top shortage / surplus sectors and majors of `region` in `year`, with bilingual names.

    Only rated gaps are ranked (forecasting.coverage): a sector with no or negligible local supply, or a region
    whose schools are not all in the data, has no ratio and is listed apart with its reason - its "ratio" would
    say only that little is trained locally, not how short the market is. Majors without a rated pressure are
    not ranked either.

    Returns:
        dict shortage_sectors, surplus_sectors, shortage_majors, surplus_majors, not_rated_sectors (with
        not_rated_reason, rating_note_zh, rating_note_en; largest openings first).
    """
    sector_names, major_names = _names(tables.get("sectors")), _names(tables.get("majors"))
    gaps = results["gaps"].query("region == @region and year == @year").copy()
    gaps["name_zh"] = gaps["sector"].map(lambda c: sector_names.get(c, (c, ""))[0])
    gaps["name_en"] = gaps["sector"].map(lambda c: sector_names.get(c, (c, ""))[1])
    rated = _rated(gaps, "ratio_median")
    supplied = gaps[rated]
    pressure = results["major_pressure"].query("region == @region and year == @year").copy()
    pressure["name_zh"] = pressure["major"].map(lambda c: major_names.get(c, (c, ""))[0])
    pressure["name_en"] = pressure["major"].map(lambda c: major_names.get(c, (c, ""))[1])
    pressure = pressure[_rated(pressure, "pressure_median")]
    not_rated = gaps[~rated].copy()
    for column in ("not_rated_reason", "rating_note_zh", "rating_note_en"):
        if column not in not_rated:
            not_rated[column] = None
    return {
        "shortage_sectors": supplied[supplied["p_shortage"] >= 0.5].sort_values(
            ["p_shortage", "ratio_median"], ascending=False).head(n),
        "surplus_sectors": supplied[supplied["p_surplus"] >= 0.5].sort_values(
            ["p_surplus", "ratio_median"], ascending=[False, True]).head(n),
        "shortage_majors": pressure[pressure["p_shortage"] >= 0.5].sort_values(
            ["p_shortage", "pressure_median"], ascending=False).head(n),
        "surplus_majors": pressure[pressure["p_surplus"] >= 0.5].sort_values(
            ["p_surplus", "pressure_median"], ascending=[False, True]).head(n),
        "not_rated_sectors": not_rated.sort_values("openings_mean", ascending=False, kind="mergesort"),
    }


def _rated(frame: pd.DataFrame, value: str) -> pd.Series:
    """Rows with a rated value: not_rated_reason empty and the value known (results stored before the reason
    column existed: a sector with supply below one person is not rated either)."""
    rated = pd.to_numeric(frame[value], errors="coerce").notna()
    if "not_rated_reason" in frame:
        rated &= frame["not_rated_reason"].isna()
    if "supply_mean" in frame:
        rated &= pd.to_numeric(frame["supply_mean"], errors="coerce").fillna(0) >= 1
    return rated


def summarise_warnings(warnings: pd.DataFrame | None, n_examples: int = 3) -> dict[str, Any]:
    """Counts per level and per action, how many expand/shrink recommendations are only a watch list (what their
    rule rests on has not beaten the last-rate baseline), and a few example explanations (red first)."""
    if warnings is None or warnings.empty:
        return {"levels": {}, "actions": {}, "watch_list": 0, "examples": []}
    order = {level: i for i, level in enumerate(LEVELS)}
    examples = warnings.assign(_order=warnings["level"].map(order).fillna(3)).sort_values("_order")
    watch = warnings["evidence"].map(lambda e: isinstance(e, dict) and bool(e.get("watch_list")))
    return {"levels": warnings["level"].value_counts().to_dict(),
            "actions": warnings["action"].value_counts().to_dict(),
            "watch_list": int(watch.sum()),
            "examples": examples.head(n_examples)[["school", "major", "level", "action", "explanation_zh",
                                                   "explanation_en"]].to_dict("records")}
