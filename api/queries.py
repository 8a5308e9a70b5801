"""Read side of the API: cached reads from storage, filters, pages and bilingual names.

Results of a run never change once stored, and a dataset version never changes either, so both are cached
whole in memory, keyed by (database, kind, run_id) and (database, table, version). A request first resolves
*which* run / version it reads (one small query, itself cached for a second), then filters the cached frame.
That gives every request one consistent snapshot: an upload or a recompute that commits meanwhile is seen
entirely by the next request and not at all by this one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import pandas as pd
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from features.codes import CodeTree
from features.jsonsafe import records as jsonsafe_records
from features.jsonsafe import to_jsonable
from features.contract import SCHEMAS

logger = logging.getLogger("talentcast.api")

# Sort keys that make pages stable (results are cached in this order).
RESULT_ORDER: dict[str, tuple[str, ...]] = {
    "demand": ("region", "sector", "year"),
    "supply": ("region", "school", "major", "year"),
    "supply_by_sector": ("region", "sector", "year"),
    "gaps": ("region", "sector", "year"),
    "major_pressure": ("region", "major", "year"),
    "warnings": ("region", "school", "major", "plan_year"),
}

REFERENCE_TABLES = ("regions", "sectors", "majors", "schools")

# How long the "latest run" / "current versions" answers are reused. Short: a recompute or upload by another
# process becomes visible after at most this long; uploads and runs through this API invalidate at once.
POINTER_TTL_SECONDS = 1.0
POINTER_STALE_SECONDS = 1.0  # how long past its TTL an answer may serve while it is reloaded in the background


async def serve_cached(handler: Callable[[], Any]) -> Any:
    """Run a read handler in a worker thread (it may read the database; the event loop never blocks on it).

    Repeated reads never get here: `api.fastpath.CachedPages`, the one response cache, answers them first.
    """
    return await run_in_threadpool(handler)


class ReadCache:
    """Thread-safe LRU of immutable data (a run's results, a dataset version) plus short-lived pointers
    (latest run, current versions). It holds data, not responses: the one response cache is
    `api.fastpath.CachedPages`."""

    def __init__(self, max_frames: int = 64):
        self.max_frames = max_frames
        self._frames: OrderedDict[tuple, Any] = OrderedDict()
        self._pointers: dict[tuple, tuple[float, Any]] = {}
        self._loaders: dict[tuple, tuple[Callable[[], Any], float]] = {}
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}

    def _single_flight(self, key: tuple) -> threading.Lock:
        """A lock per key being built, so that concurrent misses build it once and the others wait."""
        with self._lock:
            return self._building.setdefault(key, threading.Lock())

    def frame(self, key: tuple, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._frames:
                self._frames.move_to_end(key)
                return self._frames[key]
        # Outside the cache lock (a slow load must not block readers of other keys), once per key.
        with self._single_flight(("frame", key)):
            with self._lock:
                if key in self._frames:
                    return self._frames[key]
            value = load()
            with self._lock:
                self._frames[key] = value
                while len(self._frames) > self.max_frames:
                    self._frames.popitem(last=False)
                # Built: later misses find the value (or rebuild after eviction with a fresh lock), so the lock
                # is not kept; one lock per key ever built would grow with every upload.
                self._building.pop(("frame", key), None)
        return value

    def pointer(self, key: tuple, load: Callable[[], Any], ttl: float = POINTER_TTL_SECONDS) -> Any:
        """A small answer (latest run, current versions) reused for `ttl` seconds.

        When it expires, one request reloads it while the others keep using the previous answer.
        """
        now = time.monotonic()
        with self._lock:
            hit = self._pointers.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        refresh = self._single_flight(("pointer", key))
        if not refresh.acquire(blocking=hit is None):
            return hit[1]  # being reloaded by another request
        try:
            with self._lock:
                again = self._pointers.get(key)
            if again is not None and again is not hit:
                return again[1]
            value = load()
            with self._lock:
                self._pointers[key] = (time.monotonic() + ttl, value)
                self._loaders[key] = (load, ttl)
            return value
        finally:
            refresh.release()

    def fresh_pointer(self, key: tuple) -> tuple[bool, Any]:
        """(True, value) when the pointer `key` is loaded and usable, else (False, None); never waits.

        An expired pointer is reloaded in a background thread while the previous answer is used for up to
        `POINTER_STALE_SECONDS` more: otherwise every request arriving in the moment after expiry would take
        the slow path at once (this was the p99). Past that (a reload that keeps failing), (False, None).
        """
        now = time.monotonic()
        with self._lock:
            hit = self._pointers.get(key)
            loader = self._loaders.get(key)
        if hit is None:
            return False, None
        if hit[0] > now:
            return True, hit[1]
        if loader is not None:
            refresh = self._single_flight(("pointer", key))
            if refresh.acquire(blocking=False):
                threading.Thread(target=self._reload, args=(key, *loader, refresh), daemon=True).start()
        return (True, hit[1]) if now - hit[0] < POINTER_STALE_SECONDS else (False, None)

    def _reload(self, key: tuple, load: Callable[[], Any], ttl: float, refresh: threading.Lock) -> None:
        try:
            value = load()
            with self._lock:
                self._pointers[key] = (time.monotonic() + ttl, value)
        except Exception:  # the next request goes the normal way and reports the error
            logger.warning("background reload of %s failed", key[1:], exc_info=True)
        finally:
            refresh.release()

    def invalidate_pointers(self) -> None:
        """Forget latest-run / current-version answers (after an upload or a recompute in this process)."""
        with self._lock:
            self._pointers.clear()


def snapshot(cache: ReadCache, storage: Any) -> tuple | None:
    """What every result page depends on besides the request: latest run id and current table versions.

    None unless both pointers are loaded and fresh (memory only; nothing is read or reloaded here).
    """
    db = _db_key(storage)
    ok_run, run = cache.fresh_pointer((db, "latest_run"))
    if not ok_run:
        return None
    ok_versions, versions = cache.fresh_pointer((db, "current_versions"))
    if not ok_versions:
        return None
    return getattr(run, "run_id", None), tuple(sorted(versions.items()))


def _db_key(storage: Any) -> str:
    return str(getattr(storage, "url", None) or id(storage))


def latest_run(cache: ReadCache, storage: Any) -> Any | None:
    """The latest completed baseline run (RunMeta) or None."""
    return cache.pointer((_db_key(storage), "latest_run"), lambda: storage.latest_run())


def current_versions(cache: ReadCache, storage: Any) -> dict[str, int]:
    return cache.pointer((_db_key(storage), "current_versions"), lambda: dict(storage.current_versions()))


def _decode_json_cells(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for column in columns:
        if column in frame.columns:
            frame[column] = [json.loads(v) if isinstance(v, str) else v for v in frame[column]]
    return frame


def run_results(cache: ReadCache, storage: Any, kind: str, run_id: int) -> pd.DataFrame:
    """All rows of result `kind` of run `run_id`, sorted; cached (a run's results never change)."""

    def load() -> pd.DataFrame:
        frame = storage.load_results(kind, run_id=run_id)
        frame = frame.reset_index(drop=True)
        if kind == "warnings":
            frame = _decode_json_cells(frame, ("rules_fired", "evidence"))
        order = [c for c in RESULT_ORDER.get(kind, ()) if c in frame.columns]
        if order and len(frame):
            frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
        for column in ("region", "sector", "school", "major"):
            if column in frame.columns:
                frame[column] = frame[column].astype(str)
        return frame

    return cache.frame((_db_key(storage), "results", kind, run_id), load)


def reference_table(cache: ReadCache, storage: Any, table: str, version: int | None) -> pd.DataFrame:
    """A reference table at `version` (empty frame with the contract columns when never loaded)."""
    if version is None:
        return pd.DataFrame(columns=SCHEMAS[table].column_names)

    def load() -> pd.DataFrame:
        frame = storage.load_table(table, version=version).reset_index(drop=True)
        if "code" in frame.columns:
            frame["code"] = frame["code"].astype(str)
            frame = frame.sort_values("code", kind="stable").reset_index(drop=True)
        return frame

    return cache.frame((_db_key(storage), "table", table, version), load)


def region_tree(cache: ReadCache, storage: Any) -> CodeTree:
    """The region code tree of the current regions table (GB/T 2260 structure for codes it lacks)."""
    version = current_versions(cache, storage).get("regions")
    if version is None:
        return CodeTree(gb2260_fallback=True)

    def build() -> CodeTree:
        return CodeTree.from_table(reference_table(cache, storage, "regions", version), gb2260_fallback=True)

    return cache.frame((_db_key(storage), "region_tree", version), build)


def _name_columns(table: str) -> tuple[str, str]:
    # The schools table has "name" (Chinese) where the others have "name_zh".
    return ("name", "name_en") if table == "schools" else ("name_zh", "name_en")


def school_regions(cache: ReadCache, storage: Any) -> dict[str, str]:
    """{school code: its region code} from the current schools table (empty when none is loaded)."""
    version = current_versions(cache, storage).get("schools")
    frame = reference_table(cache, storage, "schools", version)
    if frame.empty or "region" not in frame.columns:
        return {}
    return {str(code): str(region) for code, region in zip(frame["code"], frame["region"])}


def name_lookup(cache: ReadCache, storage: Any, table: str, lang: str) -> dict[str, str]:
    """{code: name in `lang`} for a reference table (current version); falls back to the other language."""
    version = current_versions(cache, storage).get(table)
    if version is None:
        return {}

    def build() -> dict[str, str]:
        frame = reference_table(cache, storage, table, version)
        zh_col, en_col = _name_columns(table)
        names = {}
        for row in frame.itertuples(index=False):
            zh = clean(getattr(row, zh_col, None))
            en = clean(getattr(row, en_col, None)) if en_col in frame.columns else None
            names[str(row.code)] = (en or zh) if lang == "en" else (zh or en)
        return names

    return cache.frame((_db_key(storage), "names", table, version, lang), build)


# The one JSON conversion (features/jsonsafe.py), under the names the routes use.
clean = to_jsonable
records = jsonsafe_records


def filter_frame(frame: pd.DataFrame, equals: Mapping[str, Any] | None = None, within: Mapping[str, Any] | None = None,
                 year_column: str | None = None, year_from: int | None = None, year_to: int | None = None) -> pd.DataFrame:
    """Rows matching every `equals` value, every `within` set, and the inclusive year range."""
    if frame.empty:
        return frame
    mask = pd.Series(True, index=frame.index)
    for column, value in (equals or {}).items():
        if value is None:
            continue
        if column not in frame.columns:
            return frame.iloc[0:0]
        # Code columns are str (see run_results); numeric columns compare as numbers.
        target = str(value) if frame[column].dtype == object else value
        mask &= frame[column] == target
    for column, allowed in (within or {}).items():
        if allowed is None:
            continue
        if column not in frame.columns:
            return frame.iloc[0:0]
        if callable(allowed):  # a predicate on codes: evaluated once per distinct code
            allowed = {code for code in frame[column].unique() if allowed(str(code))}
        mask &= frame[column].isin(allowed)
    if year_column and year_column in frame.columns:
        if year_from is not None:
            mask &= frame[year_column] >= year_from
        if year_to is not None:
            mask &= frame[year_column] <= year_to
    return frame[mask]


def page(frame: pd.DataFrame, limit: int, offset: int) -> tuple[int, pd.DataFrame]:
    return len(frame), frame.iloc[offset: offset + limit]


def add_names(items: list[dict[str, Any]], lookups: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """Add `<column>_name` for each code column with a lookup (e.g. region -> region_name)."""
    for item in items:
        for column, names in lookups.items():
            code = item.get(column)
            item[f"{column}_name"] = names.get(str(code)) if code is not None else None
    return items


def pick_language(items: list[dict[str, Any]], field: str, lang: str, zh_field: str | None = None) -> list[dict[str, Any]]:
    """Set item[field] to the `lang` variant (`<field>_en` or the Chinese field), falling back to the other."""
    zh_key = zh_field or f"{field}_zh"
    en_key = f"{field}_en"
    for item in items:
        zh, en = item.get(zh_key), item.get(en_key)
        item[field] = (en or zh) if lang == "en" else (zh or en)
    return items


def find_run(cache: ReadCache, storage: Any, run_id: int | None) -> Any | None:
    """RunMeta of `run_id`, or of the latest completed baseline run when `run_id` is None.

    Raises:
        NotFoundError: `run_id` is given but no such run exists.
    """
    if run_id is None:
        return latest_run(cache, storage)
    return cache.frame((_db_key(storage), "run", int(run_id)), lambda: storage.get_run(int(run_id)))


def generated_tables(cache: ReadCache, storage: Any, versions: Mapping[str, int]) -> list[str]:
    """Which of these dataset versions hold generated (synthetic) rows, by their stored metadata."""
    wanted = {(str(t), int(v)) for t, v in versions.items()}

    def build() -> list[str]:
        found = [v.table for v in storage.versions() if (v.table, v.version) in wanted
                 and (v.metadata or {}).get("synthetic")]
        return sorted(set(found))

    return cache.frame((_db_key(storage), "generated", tuple(sorted(wanted))), build)


def run_envelope(run: Any | None, cache: ReadCache | None = None, storage: Any = None) -> dict[str, Any]:
    """The run fields every result page carries (with the generated input tables when storage is given)."""
    if run is None:
        return {"run_id": None, "scenario_id": None, "run_created_at": None, "mlflow_run_id": None,
                "generated_inputs": []}
    generated = (generated_tables(cache, storage, getattr(run, "dataset_versions", None) or {})
                 if cache is not None else [])
    return {
        "run_id": int(run.run_id),
        "scenario_id": getattr(run, "scenario_id", None),
        "run_created_at": getattr(run, "created_at", None),
        "mlflow_run_id": getattr(run, "mlflow_run_id", None),
        "generated_inputs": generated,
    }


@lru_cache(maxsize=64)
def adapter(model: Any) -> TypeAdapter:
    """The pydantic TypeAdapter of a response model (built once per model)."""
    return TypeAdapter(model)


def to_json(model: Any, data: Any) -> bytes:
    """Validate `data` against the response `model` and serialise it, as FastAPI does for response_model."""
    model_adapter = adapter(model)
    return model_adapter.dump_json(model_adapter.validate_python(data))


def result_page(
    cache: ReadCache,
    storage: Any,
    run: Any | None,
    kind: str,
    *,
    model: Any,
    limit: int,
    offset: int,
    equals: Mapping[str, Any] | None = None,
    within: Mapping[str, Any] | None = None,
    year_column: str = "year",
    year_from: int | None = None,
    year_to: int | None = None,
    lang: str = "zh",
    name_tables: Mapping[str, str] | None = None,
    transform: Callable[[list[dict[str, Any]]], Any] | None = None,
    variant: tuple = (),
    load: Callable[[], pd.DataFrame] | None = None,
) -> bytes:
    """One page of result `kind` of `run` as the JSON body of `model` (a ResultPage), names in `lang`.

    The run's rows come from the frame cache (a run's results never change); repeated identical requests are
    answered by `api.fastpath.CachedPages` before they reach this function. `load` computes the rows instead of reading the stored ones (e.g. warnings under another rule set);
    `variant` names what it computes, so that its rows are kept apart from the stored ones.
    """
    name_tables = dict(name_tables or {})

    def build() -> bytes:
        envelope = run_envelope(run, cache, storage)
        if run is None:
            return to_json(model, {**envelope, "total": 0, "limit": limit, "offset": offset, "items": []})
        if load is None:
            frame = run_results(cache, storage, kind, int(run.run_id))
        else:
            frame = cache.frame((_db_key(storage), "computed", kind, int(run.run_id), variant), load)
        selected = filter_frame(frame, equals, within, year_column, year_from, year_to)
        total, rows = page(selected, limit, offset)
        items = records(rows)
        lookups = {column: name_lookup(cache, storage, table, lang) for column, table in name_tables.items()}
        add_names(items, lookups)
        if transform is not None:
            transform(items)
        return to_json(model, {**envelope, "total": total, "limit": limit, "offset": offset, "items": items})

    return build()


def issues_payload(issues: list) -> list[dict[str, Any]]:
    """Validation issues as JSON objects; `message` is the line the CLI prints for the issue (English and
    Chinese), `message_en` / `message_zh` the same in one language."""
    return [
        {"file": i.file, "row": i.row, "column": i.column, "value": clean(i.value), "reason": i.reason,
         "reason_zh": i.reason_zh, "severity": i.severity, "message": i.message("both"),
         "message_en": i.message("en"), "message_zh": i.message("zh")}
        for i in issues
    ]
