"""Figures of talentcast.report: Chinese labels without missing glyphs, English fallback, plotted numbers."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.text import Text

from features.errors import TalentcastError
from talentcast import report
from talentcast.report.figures import _period_axis

SECTORS = pd.DataFrame({
    "code": ["C36", "F", "I65"],
    "name_zh": ["汽车制造业", "建筑业", "软件和信息技术服务业"],
    "name_en": ["Automobile manufacturing", "Construction", "Software and IT services"],
})
MAJORS = pd.DataFrame({
    "code": ["460701", "440301"],
    "name_zh": ["汽车制造与试验技术", "建筑工程技术"],
    "name_en": ["Automobile manufacturing and testing", "Building engineering"],
})


@pytest.fixture(autouse=True)
def restore_rcparams():
    """configure_fonts changes matplotlib's global settings; undo that after each test."""
    with matplotlib.rc_context():
        yield


def _employment() -> pd.DataFrame:
    rows = []
    for sector, base in (("C36", 1000.0), ("F", 3000.0), ("I65", 500.0)):
        for year in range(2009, 2016):
            jump = 1.4 if year >= 2013 else 1.0  # the NBS level break
            rows.append(("450200", sector, year, base * jump + 10 * (year - 2009)))
    return pd.DataFrame(rows, columns=["region", "sector", "year", "employed"])


def _gaps() -> pd.DataFrame:
    rows = []
    for sector, p in (("C36", 0.9), ("F", 0.1), ("I65", 0.5)):
        for k, year in enumerate(range(2026, 2029)):
            rows.append({"region": "450200", "sector": sector, "year": year, "openings_mean": 100.0 + k,
                         "supply_mean": 80.0, "gap_mean": 20.0 + k, "p_shortage": min(1.0, p + 0.05 * k),
                         "p_surplus": 0.0, "shortage_threshold": 1.2, "surplus_threshold": 0.8})
    return pd.DataFrame(rows)


def _demand() -> pd.DataFrame:
    rows = []
    for sector in ("C36", "F", "I65"):
        for k, year in enumerate(range(2026, 2029)):
            m = 100.0 + 10 * k
            rows.append({"region": "450200", "sector": sector, "year": year, "graduate_openings_mean": m,
                         "graduate_openings_lo_80": m - 10, "graduate_openings_hi_80": m + 10,
                         "graduate_openings_lo_95": m - 20, "graduate_openings_hi_95": m + 20})
    return pd.DataFrame(rows)


def _render_collecting_glyph_warnings(fig) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = report.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_bundled_font_draws_chinese_labels_without_missing_glyphs():
    fonts = report.configure_fonts(use_system=False, use_bundled=True)
    assert fonts.language == "zh"
    assert fonts.cjk_family == "Droid Sans Fallback"
    assert matplotlib.rcParams["font.family"][:2] == ["DejaVu Sans", "Droid Sans Fallback"]
    fig = report.plot_sector_employment(_employment(), SECTORS, fonts=fonts)
    texts = _texts(fig)
    assert "C36 汽车制造业" in texts and "I65 软件和信息技术服务业" in texts
    assert _render_collecting_glyph_warnings(fig) == []


def test_without_cjk_font_labels_fall_back_to_english_and_render_cleanly():
    fonts = report.configure_fonts(use_system=False, use_bundled=False)
    assert fonts.language == "en" and fonts.cjk_family is None
    fig = report.plot_sector_employment(_employment(), SECTORS, fonts=fonts)
    texts = _texts(fig)
    assert "C36 Automobile manufacturing" in texts
    assert not any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)
    assert _render_collecting_glyph_warnings(fig) == []


def test_the_missing_glyph_check_itself_detects_boxes():
    # Guard against a vacuous test: drawing Chinese with only DejaVu Sans does warn.
    report.configure_fonts(use_system=False, use_bundled=False)
    fig = matplotlib.figure.Figure()
    fig.add_subplot().set_title("汽车制造业")
    assert _render_collecting_glyph_warnings(fig)


def test_label_uses_english_for_characters_outside_the_bundled_subset():
    fonts = report.find_fonts(use_system=False, use_bundled=True)
    rare = "\U00020000"  # CJK Extension B, not in GB 2312 nor in the data
    assert not fonts.can_draw(rare)
    assert fonts.label(f"{rare}制造业", "Rare manufacturing") == "Rare manufacturing"
    assert fonts.label("汽车制造业", "Automobiles") == "汽车制造业"
    assert fonts.label(None, None, fallback="C36") == "C36"
    names = report.name_labels(SECTORS, ["C36", "X99"], fonts)
    assert names == {"C36": "汽车制造业", "X99": "X99"}


def test_fan_chart_shades_both_intervals_and_plots_the_mean():
    fonts = report.configure_fonts(use_system=False)
    forecast = pd.DataFrame({"series_id": "450200|C36", "period": ["2016", "2017"], "mean": [10.0, 12.0],
                             "lo_80": [8.0, 9.0], "hi_80": [12.0, 15.0], "lo_95": [7.0, 8.0],
                             "hi_95": [13.0, 16.0], "model": "ets"})
    history = pd.DataFrame({"series_id": "450200|C36", "period": ["2014", "2015"], "value": [9.0, 9.5]})
    fig = report.plot_fan_chart(forecast, history, fonts=fonts)
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    assert [b.get_label() for b in bands] == ["95% 预测区间", "80% 预测区间"]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["预测 (ets)"].get_ydata(), [10.0, 12.0])
    np.testing.assert_allclose(lines["历史"].get_xdata(), [2014, 2015])
    with pytest.raises(TalentcastError, match="not in the forecast"):
        report.plot_fan_chart(forecast, series_id="450200|F", fonts=fonts)


def test_monthly_periods_are_placed_on_a_time_axis():
    periods = pd.Series(["2020-01", "2020-02"])
    assert list(_period_axis(periods)) == [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01")]
    assert list(_period_axis(pd.Series(["2020", "2021"]))) == [2020, 2021]


def test_shortage_heatmap_orders_sectors_by_probability_and_annotates_cells():
    fonts = report.configure_fonts(use_system=False)
    table = report.shortage_matrix(_gaps())
    assert list(table.index) == ["C36", "I65", "F"]
    assert table.loc["C36", 2028] == pytest.approx(1.0)
    assert table.loc["F", 2027] == pytest.approx(0.15)
    fig = report.plot_shortage_heatmap(_gaps(), SECTORS, fonts=fonts)
    texts = _texts(fig)
    assert "0.15" in texts and "1.00" in texts
    assert "C36 汽车制造业" in [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "1.2" in fig.axes[0].get_title()
    assert _render_collecting_glyph_warnings(fig) == []


def test_demand_supply_panels_draw_demand_fan_and_supply_line():
    fonts = report.configure_fonts(use_system=False)
    fig = report.plot_demand_supply(_demand(), _gaps(), SECTORS, sector_codes=["C36", "F"], fonts=fonts)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert visible[0].get_title() == "C36 汽车制造业"
    supply = [line for line in visible[0].get_lines() if line.get_label() == "毕业生供给"][0]
    np.testing.assert_allclose(supply.get_ydata(), [80.0, 80.0, 80.0])
    demand = [line for line in visible[0].get_lines() if line.get_label() == "毕业生岗位需求"][0]
    np.testing.assert_allclose(demand.get_ydata(), [100.0, 110.0, 120.0])


def test_scenario_difference_and_bars():
    fonts = report.configure_fonts(use_system=False)
    before = _gaps()
    after = before.copy()
    after.loc[after["sector"] == "C36", "gap_mean"] += 250.0
    after.loc[after["sector"] == "F", "gap_mean"] -= 30.0
    diff = report.scenario_difference(before, after)
    assert diff.attrs["year"] == 2028 and diff.attrs["period"] == "2028"
    assert list(diff.index) == ["C36", "F", "I65"]
    assert diff.loc["C36", "change"] == pytest.approx(250.0)
    assert diff.loc["C36", "after"] == pytest.approx(22.0 + 250.0)
    assert diff.loc["I65", "change"] == 0.0
    fig = report.plot_scenario_comparison(before, after, SECTORS, fonts=fonts)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths[:3] == pytest.approx([22.0, 22.0, 22.0])  # baseline bars
    assert widths[3:] == pytest.approx([272.0, -8.0, 22.0])  # scenario bars
    # Summed over 2026-2028: baseline C36 gaps 20 + 21 + 22, each raised by 250 in the scenario.
    total = report.scenario_difference(before, after, cumulative=True)
    assert total.attrs["period"] == "2026-2028"
    assert total.loc["C36", "before"] == pytest.approx(63.0)
    assert total.loc["C36", "change"] == pytest.approx(750.0)
    assert total.loc["F", "change"] == pytest.approx(-90.0)
    timeline = report.plot_scenario_timeline(before, after, "C36", SECTORS, fonts=fonts)
    lines = {line.get_label(): line.get_ydata() for line in timeline.axes[0].get_lines()}
    np.testing.assert_allclose(lines["情景"], [270.0, 271.0, 272.0])
    np.testing.assert_allclose(lines["基准"], [20.0, 21.0, 22.0])
    assert timeline.axes[0].get_title() == "C36 汽车制造业"


def test_major_outcomes_plot_employment_rate_per_major():
    fonts = report.configure_fonts(use_system=False)
    enrolment = pd.DataFrame({
        "school": ["S1", "S2", "S1", "S2"], "major": ["460701"] * 4, "year": [2020, 2020, 2021, 2021],
        "intake": [100, 50, 120, 60], "graduates": [80, 20, 90, 10], "graduates_employed": [60, 10, 45, 5]})
    fig = report.plot_major_outcomes(enrolment, MAJORS, fonts=fonts)
    ax_intake, ax_rate = fig.axes
    intake = ax_intake.get_lines()[0]
    np.testing.assert_allclose(intake.get_ydata(), [150, 180])
    assert intake.get_label() == "汽车制造与试验技术"
    np.testing.assert_allclose(ax_rate.get_lines()[0].get_ydata(), [0.70, 0.50])


def test_write_report_writes_nonempty_pngs_and_an_html_page(tmp_path):
    fonts = report.configure_fonts(use_system=False)
    results = {"demand": _demand(), "gaps": _gaps(),
               "warnings": pd.DataFrame({"region": "450200", "plan_year": [2026, 2026, 2027],
                                         "action": ["expand", "shrink", "hold"]})}
    figures = report.report_figures(results, {"sectors": SECTORS, "employment": _employment()}, fonts=fonts)
    assert list(figures) == ["demand_vs_supply", "p_shortage_heatmap", "warning_actions", "sector_employment"]
    written = report.write_report(figures, tmp_path / "out", fmt="html", notes=["run 1 (含生成数据)"])
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == 4 and all(p.stat().st_size > 5000 for p in pngs)
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert all(f'src="{p.name}"' in page for p in pngs) and "含生成数据" in page
    assert "短缺概率（行业 × 年份）" in page
    with pytest.raises(TalentcastError, match="unknown report format"):
        report.write_report(figures, tmp_path, fmt="pdf")
    with pytest.raises(TalentcastError, match="no demand"):
        report.report_figures({}, {})


def _store_run(home):
    from talentcast.storage import RunMeta, Storage

    warnings_frame = pd.DataFrame({
        "region": "450200", "school": ["S1", "S1"], "major": ["460701", "440301"], "plan_year": 2026,
        "rule_set": "forecast", "level": ["red", "green"], "action": ["shrink", "expand"],
        "current_intake": [100.0, 80.0], "recommended_intake": [80.0, 100.0],
        "rules_fired": [["low_employment"], ["shortage"]], "evidence": [{"rate": 0.5}, {"p": 0.9}],
        "explanation_zh": ["就业率低", "短缺"], "explanation_en": ["low employment", "shortage"]})
    with Storage() as storage:
        version = storage.ingest("sectors", SECTORS.assign(parent=None), "sectors.csv",
                                 metadata={"synthetic": True, "generator": "test"})
        meta = RunMeta(horizon=3, dataset_versions={"sectors": version.version})
        return storage.save_run({"demand": _demand(), "gaps": _gaps(), "warnings": warnings_frame}, meta)


def test_report_command_writes_pngs_of_the_latest_run(tmp_path, capsys):
    from talentcast.cli import main

    run_id = _store_run(tmp_path)
    out = tmp_path / "report"
    main(["report", "--output", str(out), "--format", "png"])
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["demand_vs_supply.png", "p_shortage_heatmap.png", "warning_actions.png"]
    assert all((out / name).stat().st_size > 5000 for name in pngs)
    assert not (out / "index.html").exists()
    assert "wrote 3 files" in capsys.readouterr().out

    main(["report", "--output", str(out), "--format", "html", "--run", str(run_id)])
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f"run {run_id}" in page and "GENERATED data" in page and "sectors" in page


def test_report_command_without_a_run_prints_one_line_and_exits_2(capsys):
    from talentcast.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--output", "unused"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no completed run") and "\n" not in err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--format", "pdf"])
    assert exit_info.value.code == 2


def test_report_draws_one_region_preferring_the_planning_region():
    fonts = report.configure_fonts(use_system=False)
    province = _gaps().assign(region="450000", p_shortage=0.0)
    gaps = pd.concat([province, _gaps()], ignore_index=True)
    demand = pd.concat([_demand().assign(region="450000"), _demand()], ignore_index=True)
    warnings_frame = pd.DataFrame({"region": ["450200"], "plan_year": [2026], "action": ["expand"]})
    results = {"demand": demand, "gaps": gaps, "warnings": warnings_frame}
    assert report.report_region(results) == "450200"  # the warnings' region
    assert report.report_region(results, "450000") == "450000"
    assert report.report_region(results, "999999") == "450200"  # not in the run: fall back
    assert report.report_region({"gaps": gaps}) == "450000"  # no warnings: first region of the gaps
    regions = pd.DataFrame({"code": ["450000", "450200"], "name_zh": ["广西壮族自治区", "柳州市"],
                            "name_en": ["Guangxi", "Liuzhou"]})
    figures = report.report_figures(results, {"sectors": SECTORS, "regions": regions}, region="450200", top=2,
                                    fonts=fonts)
    assert figures["demand_vs_supply"].get_suptitle() == "需求与供给：450200 柳州市"
    heat = figures["p_shortage_heatmap"].axes[0]
    assert "1.00" in [t.get_text() for t in heat.texts]  # 450200's C36 reaches 1.0; 450000 is all 0
    panels = [ax for ax in figures["demand_vs_supply"].axes if ax.get_visible()]
    assert len(panels) == 2
    with pytest.raises(TalentcastError, match="no demand"):
        report.report_region({"gaps": pd.DataFrame()})


def test_report_command_rejects_a_region_the_run_does_not_have(tmp_path, capsys):
    from talentcast.cli import main

    _store_run(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--output", str(tmp_path / "r"), "--region", "110000"])
    assert exit_info.value.code == 2
    assert "no results for region 110000; regions: 450200" in capsys.readouterr().err


def test_warning_actions_count_pairs_per_action_and_level():
    fonts = report.configure_fonts(use_system=False)
    warnings_frame = pd.DataFrame({"plan_year": [2026, 2026, 2026, 2026, 2025],
                                   "action": ["expand", "hold", "hold", "suspend", "shrink"],
                                   "level": ["green", "green", "yellow", "red", "red"]})
    fig = report.plot_warning_actions(warnings_frame, fonts=fonts)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["扩大", "保持", "缩减", "停招"]
    assert [t.get_text() for t in ax.texts] == ["1", "2", "0", "1"]  # 2025's shrink is another plan year
    assert ax.get_title().endswith("(2026)")


# Text mixing ASCII, common hanzi, CJK punctuation and rare Extension B characters (outside the bundled subset).
_mixed_text = st.text(alphabet=st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                                         st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
                                         st.characters(min_codepoint=0x3000, max_codepoint=0x303F),
                                         st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF)),
                      max_size=12)


@settings(max_examples=200, deadline=None)
@given(zh=_mixed_text, en=_mixed_text)
def test_a_label_is_always_drawable_with_the_chosen_fonts(zh, en):
    for fonts in (report.find_fonts(use_system=False, use_bundled=True),
                  report.find_fonts(use_system=False, use_bundled=False)):
        label = fonts.label(zh, en, fallback="C36")
        assert fonts.can_draw(label)
        assert label in (zh, en, "C36")
        if fonts.cjk_family is None:
            assert not any("\u4e00" <= ch <= "\u9fa5" for ch in label)


def test_report_command_compares_a_scenario_run_with_the_baseline(tmp_path):
    from talentcast.cli import main
    from talentcast.storage import RunMeta, Storage

    _store_run(tmp_path)  # the baseline
    scenario_gaps = _gaps()
    scenario_gaps.loc[scenario_gaps["sector"] == "C36", "gap_mean"] += 100.0
    with Storage() as storage:
        storage.save_run({"demand": _demand(), "gaps": scenario_gaps},
                         RunMeta(scenario_id="ev-plant", scenario={"id": "ev-plant"}, horizon=3))
    out = tmp_path / "scenario"
    main(["report", "--scenario", "ev-plant", "--output", str(out), "--format", "png"])
    assert (out / "scenario_vs_baseline.png").stat().st_size > 5000
    fig = report.report_figures({"gaps": scenario_gaps}, baseline={"gaps": _gaps()},
                                fonts=report.find_fonts(use_system=False))["scenario_vs_baseline"]
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths[0] == pytest.approx(20.0 + 21.0 + 22.0)  # C36 baseline, summed over the years
    assert widths[len(widths) // 2] == pytest.approx(63.0 + 300.0)  # C36 scenario
    with pytest.raises(SystemExit):
        main(["report", "--scenario", "unknown", "--output", str(out)])
