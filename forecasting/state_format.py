"""A fitted pipeline state as data only: a zip of Parquet frames, NumPy arrays and one JSON manifest.

    data = dump_fields({"tables": {...}, "atom_paths": array, "hierarchy": Hierarchy(...), "seed": 7, ...})
    fields = load_fields(data)          # the same values back; nothing in the file is ever executed

The state used to be a pickle, and whoever could write `states/run-N.bin` ran code in the server at the next
scenario request. This format holds nothing but values: frames are read with pyarrow, arrays with
`numpy.load(allow_pickle=False)`, everything else is JSON. A pickle handed to `load_fields` is refused
(`StateFormatError`) without being unpickled.

Layout of the zip (every entry named in manifest.json):
    manifest.json   {"format": FORMAT_NAME, "version": FORMAT_VERSION, "fields": {name: encoded value}}
    f<N>.parquet    one DataFrame each (column names in the manifest, since Parquet wants strings)
    a<N>.npy        one ndarray each (numeric dtypes only)
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.errors import TalentcastError
from forecasting.assumptions import Assumption, Assumptions
from forecasting.reconcile import Hierarchy

FORMAT_NAME = "talentcast-pipeline-state"
FORMAT_VERSION = 1
_PICKLE_OPCODES = (b"\x80",)  # protocol 2+ pickles start with PROTO
# Frozen dataclasses of plain values that a state may hold, saved field by field (never by import path).
_RECORDS = {cls.__name__: cls for cls in (Assumptions, Assumption)}


class StateFormatError(TalentcastError):
    """A saved state that this version does not read (an old pickle, another format, a damaged file)."""


def dump_fields(fields: Mapping[str, Any]) -> bytes:
    """The zip bytes of `fields` (frames, dicts of frames, arrays, a Hierarchy, JSON values)."""
    writer = _Writer()
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                "fields": {name: writer.encode(value) for name, value in fields.items()}}
    return writer.finish(manifest)


def load_fields(data: bytes) -> dict[str, Any]:
    """The fields saved by `dump_fields`. Raises StateFormatError for anything else (a pickle included)."""
    if data[:1] in _PICKLE_OPCODES:
        raise StateFormatError("the saved state is a pickle from an older talentcast; it is not loaded, because "
                               "loading a pickle can run code: rerun (`talentcast run`, or POST /v1/runs) to save "
                               "it in the data-only format",
                               "保存的状态是旧版本的 pickle 文件，出于安全不予加载；请重新运行 talentcast run")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise StateFormatError(f"the saved state is not a talentcast state file ({exc}); rerun to rebuild it",
                               "保存的状态文件已损坏，请重新运行") from None
    if manifest.get("format") != FORMAT_NAME or manifest.get("version") != FORMAT_VERSION:
        raise StateFormatError(f"the saved state has format {manifest.get('format')!r} version "
                               f"{manifest.get('version')!r}; this talentcast reads {FORMAT_NAME} version "
                               f"{FORMAT_VERSION}: rerun to rebuild it", "状态文件版本不符，请重新运行")
    reader = _Reader(archive)
    return {name: reader.decode(value) for name, value in manifest["fields"].items()}


# ------------------------------------------------------------------------------------------- encoding


def _name(value: Any) -> list:
    """A column name as JSON that keeps its type (years are int column names)."""
    if isinstance(value, (bool, np.bool_)):
        return ["b", bool(value)]
    if isinstance(value, (int, np.integer)):
        return ["i", int(value)]
    if isinstance(value, (float, np.floating)):
        return ["f", float(value)]
    if value is None:
        return ["n", None]
    return ["s", str(value)]


def _unname(encoded: list) -> Any:
    kind, value = encoded
    return {"b": bool, "i": int, "f": float, "n": lambda v: None, "s": str}[kind](value)


def _json_value(value: Any) -> Any:
    """Plain JSON types (numpy scalars unwrapped; tuples become lists)."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a {type(value).__name__} cannot be saved in a state file")


def _is_plain(value: Any) -> bool:
    """True for values that `_json_value` saves as they are."""
    if isinstance(value, Mapping):
        return all(_is_plain(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool, np.generic))


def _is_sequence_column(series: pd.Series) -> bool:
    return series.dtype == object and any(isinstance(v, (list, tuple)) for v in series)


class _Writer:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.archive = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_STORED)
        self.count = 0

    def _entry(self, suffix: str) -> str:
        self.count += 1
        return f"{suffix[0]}{self.count}.{suffix}"

    def encode(self, value: Any) -> dict[str, Any]:
        if isinstance(value, pd.DataFrame):
            return self.frame(value)
        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, Hierarchy):
            return {"type": "hierarchy", "nodes": self.frame(value.nodes), "atoms": self.frame(value.atoms),
                    "summing": self.array(value.summing), "region_ancestors": _json_value(value.region_ancestors),
                    "sector_ancestors": _json_value(value.sector_ancestors)}
        if isinstance(value, Mapping) and value and all(isinstance(v, pd.DataFrame) for v in value.values()):
            return {"type": "frames", "items": {str(k): self.frame(v) for k, v in value.items()}}
        if type(value).__name__ in _RECORDS and isinstance(value, _RECORDS[type(value).__name__]):
            return {"type": "record", "class": type(value).__name__,
                    "fields": {f.name: self.encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
        if isinstance(value, Mapping) and any(not _is_plain(v) for v in value.values()):
            # e.g. PipelineState.supply_links: {"key": array, "node": array, ...}; keys keep their type
            return {"type": "mapping", "items": [[_name(k), self.encode(v)] for k, v in value.items()]}
        return {"type": "json", "value": _json_value(value)}

    def array(self, array: np.ndarray) -> dict[str, Any]:
        if array.dtype == object:
            raise TypeError("object arrays cannot be saved in a state file")
        name = self._entry("npy")
        out = io.BytesIO()
        np.save(out, array, allow_pickle=False)
        self.archive.writestr(name, out.getvalue())
        return {"type": "array", "file": name}

    def frame(self, frame: pd.DataFrame) -> dict[str, Any]:
        names = [_name(c) for c in frame.columns]
        renamed = frame.copy(deep=False)
        renamed.columns = [f"c{i}" for i in range(len(frame.columns))]
        sequences = {}
        for i, column in enumerate(renamed.columns):
            if _is_sequence_column(renamed[column]):
                # e.g. Hierarchy.atoms["cells"]: a list of (region cell, sector cell) tuples per atom.
                sample = next(v for v in renamed[column] if isinstance(v, (list, tuple)))
                inner = "tuple" if sample and isinstance(sample[0], tuple) else "list"
                sequences[i] = inner
                renamed[column] = [None if v is None else json.dumps(_json_value(v), ensure_ascii=False)
                                   for v in renamed[column]]
        name = self._entry("parquet")
        out = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(renamed, preserve_index=None), out)
        self.archive.writestr(name, out.getvalue())
        return {"type": "frame", "file": name, "columns": names, "columns_name": _name(frame.columns.name),
                "sequences": sequences}

    def finish(self, manifest: dict[str, Any]) -> bytes:
        self.archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False))
        self.archive.close()
        return self.buffer.getvalue()


class _Reader:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive

    def decode(self, encoded: dict[str, Any]) -> Any:
        kind = encoded.get("type")
        if kind == "frame":
            return self.frame(encoded)
        if kind == "array":
            return np.load(io.BytesIO(self.archive.read(encoded["file"])), allow_pickle=False)
        if kind == "frames":
            return {name: self.frame(item) for name, item in encoded["items"].items()}
        if kind == "hierarchy":
            return Hierarchy(nodes=self.frame(encoded["nodes"]), atoms=self.frame(encoded["atoms"]),
                             summing=self.decode(encoded["summing"]),
                             region_ancestors=dict(encoded["region_ancestors"]),
                             sector_ancestors=dict(encoded["sector_ancestors"]))
        if kind == "record":
            cls = _RECORDS.get(encoded.get("class"))
            if cls is None:
                raise StateFormatError(f"the saved state holds a record of unknown class {encoded.get('class')!r}; "
                                       "rerun to rebuild it", "状态文件含有未知的记录类型，请重新运行")
            return cls(**{name: self.decode(item) for name, item in encoded["fields"].items()})
        if kind == "mapping":
            return {_unname(name): self.decode(item) for name, item in encoded["items"]}
        if kind == "json":
            return encoded["value"]
        raise StateFormatError(f"the saved state holds a value of unknown type {kind!r}; rerun to rebuild it")

    def frame(self, encoded: dict[str, Any]) -> pd.DataFrame:
        frame = pq.read_table(io.BytesIO(self.archive.read(encoded["file"]))).to_pandas()
        for index, inner in (encoded.get("sequences") or {}).items():
            column = frame.columns[int(index)]
            convert = tuple if inner == "tuple" else list
            frame[column] = pd.Series([None if v is None else [convert(x) if isinstance(x, list) else x
                                                               for x in json.loads(v)]
                                       for v in frame[column]], index=frame.index, dtype=object)
        frame.columns = pd.Index([_unname(n) for n in encoded["columns"]],
                                 name=_unname(encoded.get("columns_name", ["n", None])))
        return frame
