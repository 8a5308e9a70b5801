"""Workbooks as reproducible bytes: the same content gives the same XLSX file, whenever it is written.

openpyxl stamps the save time into `docProps/core.xml` and into every zip entry, so two saves a second apart
differ. `workbook_bytes` fixes both stamps (to the time the content refers to, e.g. a run's `created_at`), so
that the CLI and the API hand out byte-identical exports of the same request, and a test can compare them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

EPOCH = dt.datetime(2000, 1, 1)


def workbook_bytes(workbook: Any, stamp: dt.datetime | None = None) -> bytes:
    """Save an openpyxl Workbook to bytes with fixed timestamps (`stamp`, naive UTC; default 2000-01-01)."""
    from openpyxl.xml.functions import tostring

    stamp = (stamp or EPOCH).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)  # sets properties.modified to now; rewritten below
    workbook.properties.modified = stamp
    core = tostring(workbook.properties.to_tree())
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = core if item.filename == "docProps/core.xml" else source.read(item.filename)
            info = zipfile.ZipInfo(item.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            target.writestr(info, data)
    return out.getvalue()
