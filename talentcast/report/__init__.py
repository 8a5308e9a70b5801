"""Figures and report files for analysts and the `talentcast report` command (人才供需报告图表).

    fonts.py     FontSupport, configure_fonts / find_fonts: Chinese labels that never render as boxes; TEXT
    figures.py   the figure functions (DataFrames in, matplotlib Figures out) and report_figures
    html.py      write_report (PNG files and an HTML page), run_notes, FIGURE_CAPTIONS

Every public name is importable from `talentcast.report`.
"""

from talentcast.report.figures import (
    MOE_EMPLOYMENT_RATE_FLOOR,
    NBS_LEVEL_BREAK_YEAR,
    draw_fan,
    figure_png,
    name_labels,
    plot_backtest_scores,
    plot_demand_supply,
    plot_fan_chart,
    plot_major_outcomes,
    plot_scenario_comparison,
    plot_scenario_timeline,
    plot_sector_employment,
    plot_shortage_heatmap,
    plot_warning_actions,
    report_figures,
    report_region,
    scenario_difference,
    shortage_matrix,
)
from talentcast.report.fonts import (
    BUNDLED_CJK_FONT,
    CJK_PROBE,
    FONT_DIR,
    LATIN_FAMILY,
    TEXT,
    FontSupport,
    configure_fonts,
    find_fonts,
    fonts_or_default,
)
from talentcast.report.html import FIGURE_CAPTIONS, run_notes, write_report

__all__ = [
    "BUNDLED_CJK_FONT",
    "CJK_PROBE",
    "FIGURE_CAPTIONS",
    "FONT_DIR",
    "FontSupport",
    "LATIN_FAMILY",
    "MOE_EMPLOYMENT_RATE_FLOOR",
    "NBS_LEVEL_BREAK_YEAR",
    "TEXT",
    "configure_fonts",
    "draw_fan",
    "figure_png",
    "find_fonts",
    "fonts_or_default",
    "name_labels",
    "plot_backtest_scores",
    "plot_demand_supply",
    "plot_fan_chart",
    "plot_major_outcomes",
    "plot_scenario_comparison",
    "plot_scenario_timeline",
    "plot_sector_employment",
    "plot_shortage_heatmap",
    "plot_warning_actions",
    "report_figures",
    "report_region",
    "run_notes",
    "scenario_difference",
    "shortage_matrix",
    "write_report",
]
