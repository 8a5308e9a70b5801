"""The report files: each figure as a PNG and, for the HTML format, a page showing them with captions."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from features.errors import TalentcastError
from talentcast.report.figures import figure_png


# Captions of the report figures in the HTML page (the browser has its own fonts, so always bilingual there).
FIGURE_CAPTIONS = {
    "demand_vs_supply": "毕业生岗位需求（80% / 95% 区间）与毕业生供给 · Graduate openings (80% / 95% intervals) "
                        "vs graduate entrants",
    "p_shortage_heatmap": "短缺概率（行业 × 年份）· P(shortage) by sector and year",
    "scenario_vs_baseline": "情景与基准：各行业累计供需缺口 · Scenario vs baseline: cumulative gap per sector",
    "warning_actions": "专业预警：建议调整（按红黄绿牌）· Recommended actions by card level",
    "sector_employment": "分行业就业人员（历史）· Employment by sector (history)",
}


def write_report(figures: Mapping[str, Figure], output_dir: str | Path, *, fmt: str = "png",
                 title: str = "talentcast report", notes: Sequence[str] = (), dpi: int = 110) -> list[Path]:
    """Write each figure as `<name>.png` into `output_dir`, plus `index.html` showing them when fmt is "html".

    Args:
        figures: {file stem: Figure}.
        output_dir: created if missing.
        fmt: "png" (PNG files only) or "html" (PNG files and an HTML page that shows them).
        title: page title.
        notes: lines printed under the title (run id, data provenance, "includes generated data").
        dpi: resolution of the PNGs.

    Returns:
        Paths of the files written (PNGs first, then index.html if any).
    """
    if fmt not in {"png", "html"}:
        raise TalentcastError(f"unknown report format {fmt!r}; use png or html", f"未知的报告格式 {fmt!r}，请用 png 或 html")
    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TalentcastError(f"cannot create output folder {out}: {exc.strerror}",
                              f"无法创建输出目录 {out}：{exc.strerror}") from exc
    written: list[Path] = []
    for name, fig in figures.items():
        path = out / f"{name}.png"
        path.write_bytes(figure_png(fig, dpi=dpi))
        written.append(path)
    if fmt == "html":
        items = "\n".join(
            f'<figure><img src="{html.escape(p.name)}" alt="{html.escape(p.stem)}">'
            f"<figcaption>{html.escape(FIGURE_CAPTIONS.get(p.stem, p.stem.replace('_', ' ')))}</figcaption></figure>"
            for p in written)
        note_html = "\n".join(f"<p>{html.escape(n)}</p>" for n in notes)
        page = (f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}'
                f"</title><style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}"
                f"img{{max-width:100%}}figure{{margin:1.5em 0}}</style></head>\n<body><h1>{html.escape(title)}"
                f"</h1>\n{note_html}\n{items}\n</body></html>\n")
        index = out / "index.html"
        index.write_text(page, encoding="utf-8")
        written.append(index)
    return written


def run_notes(meta, versions: Sequence = ()) -> list[str]:
    """Lines describing a stored run for the top of a report: id, date, scenario and data provenance.

    Args:
        meta: a `talentcast.storage.RunMeta` (run_id, created_at, scenario_id, dataset_versions, horizon, ...).
        versions: `DatasetVersion`s (table, version, metadata); those the run used and marked
            `{"synthetic": true}` are listed as generated data.
    """
    created = meta.created_at.strftime("%Y-%m-%d %H:%M UTC") if getattr(meta, "created_at", None) else "?"
    scenario = getattr(meta, "scenario_id", None) or "baseline / 基准"
    lines = [f"run {meta.run_id} · {created} · scenario: {scenario} · horizon: {getattr(meta, 'horizon', None)}"]
    used = dict(getattr(meta, "dataset_versions", None) or {})
    if used:
        lines.append("data / 数据: " + ", ".join(f"{t} v{v}" for t, v in sorted(used.items())))
    generated = sorted({v.table for v in versions
                        if (v.metadata or {}).get("synthetic") and used.get(v.table, v.version) == v.version})
    if generated:
        lines.append("GENERATED data (synthetic, not observed) / 含生成数据（合成，非实测）: " + ", ".join(generated))
    if getattr(meta, "mlflow_run_id", None):
        lines.append(f"MLflow run: {meta.mlflow_run_id}")
    if getattr(meta, "notes", None):
        lines.append(f"notes: {meta.notes}")
    return lines
