"""The web dashboard in a real browser: Debian's Chromium driven by Playwright, against `talentcast serve` on the
demo workspace (see tests/web_support.py). Every number the page shows is compared with what the API answers the
same key, so a test fails when the page drops, invents or mis-scopes a row."""

from __future__ import annotations

import io
import os
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import sync_playwright

from web_support import DEMO_REGION, DEMO_SCHOOL, OTHER_SCHOOL, demo_workspace, launch_chromium, open_page, served, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    # Under xdist the workers share the parent of their base temp directories: one demo build for all.
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    home, keys = demo_workspace(root)
    with served(home) as url:
        yield {"url": url, "keys": keys}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def api(demo, path, who, lang="zh-CN", **params):
    response = httpx.get(f"{demo['url']}{path}", params=params, timeout=60,
                         headers={"Authorization": f"Bearer {demo['keys'][who]}", "Accept-Language": lang})
    response.raise_for_status()
    return response.json()


def table_rows(page, selector) -> list[list[str]]:
    return page.eval_on_selector_all(f"{selector} tbody tr:not(.detail)",
                                     "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_planner_overview_and_sector_pages_show_the_api_numbers(demo, page):
    sign_in(page, demo["url"], demo["keys"]["planner"])
    assert page.evaluate("document.body.dataset.ready") == "overview"
    gaps = api(demo, "/v1/gaps", "planner", limit=1000)["items"]
    last = max(g["year"] for g in gaps)
    expected = {g["sector_name"]: g for g in gaps if g["year"] == last}
    rows = table_rows(page, "#gaps")
    assert len(rows) == len(expected) == 27
    by_name = {row[0].rsplit(" ", 1)[0]: row for row in rows}
    c36 = expected["汽车制造业"]
    assert by_name["汽车制造业"][3] == f"{c36['ratio_median']:.2f}"
    assert by_name["汽车制造业"][4] == f"{c36['ratio_lo_80']:.2f} – {c36['ratio_hi_80']:.2f}"
    assert by_name["汽车制造业"][5] == f"{round(c36['p_shortage'] * 100)}%"
    # sorted by shortage probability, most likely shortage first
    shown = [expected[row[0].rsplit(" ", 1)[0]]["p_shortage"] for row in rows]
    rated = [p for p in shown if p is not None]
    assert rated == sorted(rated, reverse=True)
    # what the data are: the demo's employment is partly generated, real until 2015 for Liuzhou
    sources = {row[0]: row for row in table_rows(page, "#sources-table")}
    assert sources["employment"][3].startswith("生成") and sources["employment"][4] == "2015"
    assert sources["majors"][3] == "真实"
    assert "生成" in page.inner_text("#banner")
    page.wait_for_selector("#heatmap canvas")

    page.click("#gaps a[href*='/sector/C36']")
    page.wait_for_function("document.body.dataset.ready === 'sector'")
    sector_rows = table_rows(page, "#sector-gaps-table")
    c36_years = sorted((g for g in gaps if g["sector"] == "C36"), key=lambda g: g["year"])
    assert [int(r[0]) for r in sector_rows] == [g["year"] for g in c36_years]
    assert [r[4] for r in sector_rows] == [f"{g['ratio_median']:.2f}" for g in c36_years]
    context = api(demo, "/v1/sectors/C36/context", "planner")
    params = {r[0].split("\n")[0]: r[1] for r in table_rows(page, "#assumptions-table")}
    assert params["replacement_rate"] == f"{context['parameters'][0]['value']:.3f}"
    for chart in ("#fan", "#openings", "#by-major"):
        page.wait_for_selector(f"{chart} canvas")
    # supply by feeding major adds up to the gap's supply: the split uses the map's central weights, the gap the
    # mean over drawn weights (forecasting/assumptions.py), so the two agree to within the draws' spread
    supply = sum(r["entrants"] for r in context["supply_by_major"] if r["year"] == last)
    assert supply == pytest.approx(c36["supply_mean"], rel=0.02)


def test_chinese_renders_with_the_served_font_and_english_switch(demo, page):
    sign_in(page, demo["url"], demo["keys"]["planner"])
    assert page.evaluate("document.fonts.check('14px \"TC CJK\"', '汽车制造业')")
    faces = page.evaluate("[...document.fonts].filter(f => f.family.includes('TC CJK')).map(f => f.status)")
    assert faces == ["loaded"]
    # No missing-glyph boxes: a Chinese character drawn in the page's font differs from a character no font has
    # (U+10FFFD, drawn as the .notdef box); and two different characters draw differently.
    pixels = page.evaluate("""() => {
        const draw = (ch) => { const c = document.createElement('canvas'); c.width = 40; c.height = 40;
            const g = c.getContext('2d'); g.font = '32px ' + getComputedStyle(document.body).fontFamily;
            g.fillText(ch, 2, 32); return Array.from(g.getImageData(0, 0, 40, 40).data).join(','); };
        return {zh: draw('汽'), zh2: draw('车'), box: draw(String.fromCodePoint(0x10FFFD))}; }""")
    assert pixels["zh"] != pixels["box"] and pixels["zh2"] != pixels["box"] and pixels["zh"] != pixels["zh2"]
    # and the page's own text: each region drawn differently from the same text in a font with no Chinese glyphs
    # (a family that does not exist: the browser's fallback, which on Debian's Chromium draws boxes)
    for selector in (".brand", "h1", "#gaps tbody tr:first-child td:first-child", "#nav"):
        region = page.locator(selector)
        shown = region.screenshot()
        page.eval_on_selector(selector, "el => el.style.fontFamily = 'tc-no-such-font'")
        boxes = region.screenshot()
        page.eval_on_selector(selector, "el => el.style.fontFamily = ''")
        assert shown != boxes, f"{selector} is drawn without the Chinese font"
    assert "地区概览" in page.inner_text("h1")
    page.click("#lang")
    page.wait_for_function("document.body.dataset.ready === 'overview' && document.documentElement.lang === 'en'")
    page.wait_for_selector("text=Region overview")
    assert page.inner_text("#gaps thead").split("\t")[3].strip().startswith("Ratio")
    english = {g["sector"]: g["sector_name"] for g in api(demo, "/v1/gaps", "planner", lang="en", limit=1000)["items"]}
    assert english["C36"] in page.inner_text("#gaps")


def test_school_sees_only_its_own_school(demo, page):
    sign_in(page, demo["url"], demo["keys"]["school"])
    assert page.evaluate("document.body.dataset.ready") == "warnings"
    own = api(demo, "/v1/warnings", "school", limit=1000)["items"]
    assert own and {w["school"] for w in own} == {DEMO_SCHOOL}
    rows = table_rows(page, "#warnings")
    assert len(rows) == len(own)
    assert {r[0] for r in rows} == {own[0]["school_name"]}
    assert page.eval_on_selector_all("#nav a", "links => links.map(a => a.dataset.nav)") == ["warnings", "downloads"]
    # another school's page: the API's 404, nothing of that school shown
    open_page(page, demo["url"], f"school/{OTHER_SCHOOL}")
    assert page.get_attribute(".error", "data-status") == "404" and page.query_selector("#warnings") is None
    # the planner's overview: refused
    open_page(page, demo["url"], "overview")
    assert page.get_attribute(".error", "data-status") == "403" and page.query_selector("#gaps") is None
    # filter by level and open one row's explanation (Chinese and English, as the API has them)
    open_page(page, demo["url"], "warnings")
    reds = [w for w in own if w["level"] == "yellow"]
    page.select_option("select[data-filter=level]", "yellow")
    assert len(table_rows(page, "#warnings")) == len(reds)
    page.click("#warnings tbody tr[data-row='0']")
    shown = page.inner_text("#warnings tr.detail")
    first = sorted(reds, key=lambda w: w["school"])[0]
    assert first["explanation_zh"] in shown and first["explanation_en"] in shown


def test_scenario_round_trip_and_shared_link(demo, page, browser):
    sign_in(page, demo["url"], demo["keys"]["planner"], "#/scenarios")
    assert page.evaluate("document.body.dataset.ready") == "scenarios"
    page.fill("#scenario-name", "EV plant 2027")
    page.fill("#scenario-year", "2029")
    page.click("#run-scenario")
    page.wait_for_selector("#scenario-diff", timeout=60000)
    scenario = {"id": "x", "name": "x", "changes": [{"kind": "employment_change", "target": {"region": DEMO_REGION,
                "sector": "C36"}, "percent": 15, "years": {"from": 2027}}]}
    answer = httpx.post(f"{demo['url']}/v1/scenarios", params={"region": DEMO_REGION, "year": 2029}, json=scenario,
                        headers={"Authorization": f"Bearer {demo['keys']['planner']}"}, timeout=60).json()
    base = {g["sector"]: g for g in api(demo, "/v1/gaps", "planner", year=2029)["items"]}
    after = {g["sector"]: g for g in answer["gaps"]}
    rows = {r[0].rsplit(" ", 1)[1]: r for r in table_rows(page, "#scenario-sectors")}
    assert "C36" in rows
    gap_cell = rows["C36"][1]
    assert f"{base['C36']['gap_mean']:,.0f}" in gap_cell and f"{after['C36']['gap_mean']:,.0f}" in gap_cell
    assert after["C36"]["gap_mean"] > base["C36"]["gap_mean"]
    # save (kept in this browser) and share by link: another user opens the link, signs in, sees the same result
    page.click("#save-scenario")
    assert "EV plant 2027" in page.inner_text("#saved-list")
    page.click("#share-scenario")
    link = page.url
    assert "#/scenarios?s=" in link
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        other.goto(link)
        other.fill("#key", demo["keys"]["planner"])
        other.click("#login-form button[type=submit]")
        other.wait_for_selector("#scenario-diff", timeout=60000)
        assert other.input_value("#scenario-name") == "EV plant 2027"
        assert table_rows(other, "#scenario-sectors") == table_rows(page, "#scenario-sectors")
    finally:
        other.context.close()


def test_downloads_open_with_openpyxl_and_charts_save(demo, page, tmp_path):
    sign_in(page, demo["url"], demo["keys"]["planner"], "#/downloads")
    with page.expect_download() as info:
        page.click("[data-download^='/v1/gaps?format=xlsx']")
    path = Path(info.value.path())
    assert info.value.suggested_filename == "talentcast-gaps-run-1.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    total = api(demo, "/v1/gaps", "planner", limit=1)["total"]
    assert len(rows) - 2 == total  # a Chinese header row, the column names, then every row of the region
    assert "供需比" in "".join(str(c) for c in rows[0] if c) and "ratio_median" in rows[1]
    assert {r[rows[1].index("region")] for r in rows[2:]} == {DEMO_REGION}
    with page.expect_download() as info:
        page.click("[data-download^='/v1/warnings?format=csv']")
    assert Path(info.value.path()).read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as the API exports
    page.wait_for_selector("#heatmap canvas")
    with page.expect_download() as info:
        page.click(".chart-tools [data-save=png]")
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as info:
        page.click(".chart-tools [data-save=svg]")
    svg = Path(info.value.path()).read_text()
    assert svg.startswith("<svg") and "汽车制造业" in svg


def test_admin_sees_datasets_runs_keys_and_upload_messages(demo, page, tmp_path):
    sign_in(page, demo["url"], demo["keys"]["admin"], "#/admin")
    assert page.evaluate("document.body.dataset.ready") == "admin"
    datasets = api(demo, "/v1/datasets", "admin", limit=1000)
    assert len(table_rows(page, "#datasets-table")) == datasets["total"]
    assert table_rows(page, "#runs-table")[0][0] == "1"
    keys_before = len(table_rows(page, "#keys-table"))
    # an invalid upload: the CLI's message, nothing stored
    bad = tmp_path / "regions.csv"
    bad.write_text("code,name_zh\n450200,柳州市\n", encoding="utf-8")
    page.select_option("#upload-form select[name=table]", "regions")
    page.set_input_files("#upload-form input[type=file]", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-error")
    response = httpx.post(f"{demo['url']}/v1/datasets/regions", files={"file": ("regions.csv", bad.read_bytes())},
                          headers={"Authorization": f"Bearer {demo['keys']['admin']}"}, timeout=60)
    assert response.status_code == 422
    shown = page.inner_text("#upload-result")
    assert response.json()["detail"] in shown
    assert all(issue["message_zh"] in shown for issue in response.json()["issues"])
    assert api(demo, "/v1/datasets", "admin", limit=1000)["total"] == datasets["total"]
    # a new key: shown once, listed after (without its secret)
    page.select_option("#key-form select[name=role]", "school")
    page.fill("#key-form input[name=school]", OTHER_SCHOOL)
    page.click("#key-form button[type=submit]")
    secret = page.inner_text("#new-key")
    assert secret.startswith("tc_")
    page.wait_for_function(f"document.querySelectorAll('#keys-table tbody tr').length === {keys_before + 1}")
    assert secret not in page.inner_text("#keys-table")
    # the new key works and sees only its school
    warnings = httpx.get(f"{demo['url']}/v1/warnings", headers={"Authorization": f"Bearer {secret}"}).json()["items"]
    assert {w["school"] for w in warnings} == {OTHER_SCHOOL}
