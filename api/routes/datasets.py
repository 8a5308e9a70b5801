"""Input datasets: GET /v1/datasets (versions) and POST /v1/datasets/{table} (admin upload).

An upload is read, validated and stored by the same call as `talentcast ingest` (talentcast.service
Service.ingest, the file named by its uploaded name), so the verdict and messages equal the CLI's. Only a valid table is stored,
as a new version in one transaction (Storage.ingest); a failing upload stores nothing. The response is sent
after the commit, so an acknowledged upload survives a server crash.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Path as PathParam, Query, UploadFile
from fastapi.responses import JSONResponse

from api import queries
from api.deps import CacheDep, CurrentKey, PageDep, SettingsDep, StorageDep
from api.schemas import DatasetVersion, Page, RequestErrors, ValidationReport
from api.security import not_found, require_role
from features import validation
from features.contract import SCHEMAS, TABLE_NAMES
from features.errors import TalentcastError, ValidationError, bilingual
from talentcast.service import Service

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

TableQuery = Annotated[str | None, Query(max_length=40, description=f"one of: {', '.join(TABLE_NAMES)}")]


@router.get("", response_model=Page[DatasetVersion], summary="Stored dataset versions")
def list_datasets(key: CurrentKey, storage: StorageDep, pagination: PageDep, table: TableQuery = None) -> dict[str, Any]:
    require_role(key, "admin", "planner")
    if table is not None and table not in SCHEMAS:
        raise not_found(_unknown_table(table))
    versions = storage.versions(table)
    rows = versions[pagination.offset: pagination.offset + pagination.limit]
    items = [
        {"table": v.table, "version": v.version, "rows": v.rows, "checksum": v.checksum,
         "source_file": v.source_file, "created_at": v.created_at, "metadata": queries.clean(v.metadata)}
        for v in rows
    ]
    return {"total": len(versions), "limit": pagination.limit, "offset": pagination.offset, "items": items}


@router.post(
    "/{table}",
    response_model=ValidationReport,
    status_code=201,
    summary="Upload a CSV/XLSX table (admin): validated, stored as a new version only when valid",
    responses={
        404: {"description": "unknown table"},
        413: {"description": "file larger than Settings.max_upload_bytes"},
        422: {"model": ValidationReport | RequestErrors,
              "description": "the file is unreadable or invalid (a validation report); nothing stored"},
    },
)
def upload_dataset(
    key: CurrentKey,
    storage: StorageDep,
    cache: CacheDep,
    settings: SettingsDep,
    table: Annotated[str, PathParam(max_length=40, description=f"one of: {', '.join(TABLE_NAMES)}")],
    # `| str`: a multipart part with an empty filename arrives as a plain form value; FastAPI's own 422 for it
    # would quote the value - the file's contents - back to the client.
    file: Annotated[UploadFile | str, File(description="CSV (UTF-8 or GB18030/GBK), XLSX or Parquet")],
) -> Any:
    require_role(key, "admin")
    if table not in SCHEMAS:
        raise not_found(_unknown_table(table))
    filename = upload_name("" if isinstance(file, str) else file.filename)
    if filename is None:
        return _report(table, "", [], valid=False, status_code=422, detail=_NO_NAME)
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:  # the middleware normally stops it earlier
        return JSONResponse({"detail": bilingual(f"file larger than the upload limit of {settings.max_upload_bytes} "
                                                 "bytes", f"文件超过上传上限 {settings.max_upload_bytes} 字节")},
                            status_code=413)

    service = Service(storage, settings)
    try:
        with tempfile.TemporaryDirectory(prefix="talentcast-upload-") as tmp:
            # The client's name is only shown in messages; the copy gets a fixed name with the file's ending
            # (which picks the reader), so '..', 'a/..' or a 300-character name cannot steer or break it.
            path = Path(tmp) / f"upload{_suffix(filename)}"
            path.write_bytes(data)
            validated, version, _ = service.ingest(table, path, source=filename,
                                                   metadata={"uploaded_by": f"api key {key.key_id}"})
    except ValidationError as exc:
        return _report(table, filename, exc.issues, valid=False, status_code=422, detail=str(exc))
    except TalentcastError as exc:  # unreadable file, or referenced tables without data: as `talentcast ingest`
        return _report(table, filename, [], valid=False, status_code=422, detail=str(exc))
    cache.invalidate_pointers()
    return _report(table, filename, validated.issues, valid=True, status_code=201, version=version.version,
                   rows=version.rows)


_NO_NAME = ("the uploaded file has no usable name: send it as a file part whose filename ends in .csv, .xlsx or "
            ".parquet (e.g. curl -F file=@employment.csv) / 上传的文件没有可用的文件名：请以文件形式上传，文件名以 .csv、"
            ".xlsx 或 .parquet 结尾")
MAX_NAME_CHARS = 200


def upload_name(raw: str | None) -> str | None:
    """The name an upload is known by in messages and dataset metadata: the base name only (a client-chosen
    path must not steer anything), at most MAX_NAME_CHARS characters keeping the ending that picks the reader,
    control characters removed. None when nothing usable is left ("", ".", "..", "a/..")."""
    base = PurePath((raw or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable())
    if base in ("", ".", ".."):
        return None
    if len(base) > MAX_NAME_CHARS:
        suffix = _suffix(base)
        base = base[: MAX_NAME_CHARS - len(suffix)] + suffix
    return base


def _unknown_table(table: str) -> str:
    """The message `talentcast validate` / `ingest` print for an unknown table."""
    try:
        validation.check_table(table)
    except TalentcastError as exc:
        return str(exc)
    return bilingual(f"unknown table '{table}'", f"未知的表“{table}”")


def _suffix(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    return suffix if suffix.isascii() and 1 < len(suffix) <= 8 else ""


def _report(table: str, filename: str, issues: list, *, valid: bool, status_code: int, detail: str | None = None,
            version: int | None = None, rows: int | None = None) -> JSONResponse:
    body = ValidationReport(
        table=table, file=filename, valid=valid, stored=version is not None, version=version, rows=rows,
        # An unreadable file has no located issues but is still one error.
        errors=max(sum(1 for i in issues if i.severity == "error"), 0 if valid else 1),
        warnings=sum(1 for i in issues if i.severity != "error"),
        detail=detail, issues=queries.issues_payload(issues),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code)
