"""Time to a usable page and page weight of the web dashboard, in Chromium, on the demo workspace.

    nice -n 10 .venv/bin/python benchmarks/web_pages.py [--home DIR] [--repeat 5] [--json benchmarks/web_pages.json]
                                                        [--screenshots docs/screenshots]

What it does:
1. Makes sure DIR holds the demo workspace (the embedded Liuzhou tables, partly GENERATED, and one baseline run
   with the demo's 1000 sample paths, as `talentcast demo --no-track`) and three keys (admin, planner 450200,
   school 450200-G01).
2. Starts `talentcast serve` in a subprocess (as a user does) and Debian's Chromium (headless, Playwright).
3. For each page, `--repeat` fresh loads of `/#/<page>` in a new browser context (the key set in the tab's
   sessionStorage before the load, as after signing in): cold (empty HTTP cache: the first load of a new user)
   and warm (the same context loaded again: the assets come from the browser cache). Measured in the page:
     FCP    first-contentful-paint of the load (PerformanceObserver entry), ms from navigation start
     ready  the page's main table in the document (performance.mark from app.js, after its API calls), ms
   Weight: the bytes of JS and CSS the page loads (transferred = gzip as served, and decoded), and the font.
Medians are printed as a Markdown table (the README's) and written to --json.
With --screenshots DIR it also saves each page in Chinese and English (DIR/<page>-zh.png, -en.png).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from web_support import demo_workspace, launch_chromium, served  # noqa: E402

# (label, role, route, selector of the main table)
PAGES = [
    ("sign-in", None, "login", "#login-form"),
    ("overview", "planner", "overview", "#gaps"),
    ("sector", "planner", "sector/C36", "#sector-gaps-table"),
    ("warnings", "planner", "warnings", "#warnings"),
    ("school-warnings", "school", "warnings", "#warnings"),
    ("scenarios", "planner", "scenarios", "#scenario-form"),
    ("downloads", "planner", "downloads", "#downloads-table"),
    ("admin", "admin", "admin", "#datasets-table"),
]

MEASURE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const ready = performance.getEntriesByType('mark').find(m => m.name.startsWith('tc-ready-'));
  const resources = performance.getEntriesByType('resource');
  const sum = (kinds, field) => resources.filter(r => kinds.some(k => r.name.split('?')[0].endsWith(k)))
      .reduce((a, r) => a + r[field], 0);
  return {fcp: fcp ? fcp.startTime : null, ready: ready ? ready.startTime : null,
          html_transfer: nav.transferSize, html_decoded: nav.decodedBodySize,
          js_transfer: sum(['.js'], 'transferSize'), js_decoded: sum(['.js'], 'decodedBodySize'),
          css_transfer: sum(['.css'], 'transferSize'), css_decoded: sum(['.css'], 'decodedBodySize'),
          font_transfer: sum(['.ttf'], 'transferSize'), font_decoded: sum(['.ttf'], 'decodedBodySize')};
}"""


def load(context, base: str, route: str) -> dict:
    page = context.new_page()
    page.goto(f"{base}/#/{route}")
    name = route.split("/")[0]
    page.wait_for_function(f"document.body.dataset.ready === '{name}'", timeout=60000)
    page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0", timeout=10000)
    result = page.evaluate(MEASURE)
    page.close()
    return result


def new_context(browser, key: str | None, lang: str = "zh"):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    script = f"localStorage.setItem('tcLang', {json.dumps(lang)});"
    if key:
        script += f"sessionStorage.setItem('tcKey', {json.dumps(key)});"
    context.add_init_script(script)
    return context


def measure(browser, base: str, keys: dict, repeat: int) -> list[dict]:
    rows = []
    for label, role, route, _selector in PAGES:
        cold, warm = [], []
        for _ in range(repeat):
            context = new_context(browser, keys.get(role) if role else None)
            cold.append(load(context, base, route))
            warm.append(load(context, base, route))
            context.close()
        median = lambda runs, field: statistics.median(r[field] for r in runs)  # noqa: E731
        rows.append({"page": label, "role": role or "-",
                     "fcp_cold_ms": median(cold, "fcp"), "ready_cold_ms": median(cold, "ready"),
                     "fcp_warm_ms": median(warm, "fcp"), "ready_warm_ms": median(warm, "ready"),
                     "js_css_transfer_kb": (cold[0]["js_transfer"] + cold[0]["css_transfer"]) / 1024,
                     "js_css_decoded_kb": (cold[0]["js_decoded"] + cold[0]["css_decoded"]) / 1024,
                     "font_transfer_kb": cold[0]["font_transfer"] / 1024})
        print(f"{label}: {rows[-1]}", file=sys.stderr)
    return rows


SCREENS = [  # (file, role, route, what to do before the picture)
    ("sign-in", None, "login", None),
    ("overview", "planner", "overview", None),
    ("sector", "planner", "sector/C36", None),
    ("warnings", "planner", "warnings", "open-row"),
    ("school", "school", "warnings", "open-row"),
    ("scenarios", "planner", "scenarios?year=2029", "run-scenario"),
    ("downloads", "planner", "downloads", None),
    ("admin", "admin", "admin", None),
]


def screenshots(browser, base: str, keys: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for lang in ("zh", "en"):
        for name, role, route, action in SCREENS:
            context = new_context(browser, keys.get(role) if role else None, lang)
            page = context.new_page()
            page.goto(f"{base}/#/{route}")
            page.wait_for_function(f"document.body.dataset.ready === '{route.split('/')[0].split('?')[0]}'",
                                   timeout=60000)
            if action == "open-row":
                page.click("#warnings tbody tr[data-row='0']")
            elif action == "run-scenario":
                page.click("#run-scenario")
                page.wait_for_selector("#scenario-diff", timeout=120000)
            page.wait_for_timeout(500)  # charts drawn
            height = min(page.evaluate("document.body.scrollHeight"), 1800)
            path = folder / f"{name}-{lang}.png"
            page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1280, "height": height}, full_page=True)
            context.close()
            shrink_png(path)


def shrink_png(path: Path) -> None:
    """256 colours (the pages use a few dozen; text stays sharp): a third of the size in the repository."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def markdown(rows: list[dict]) -> str:
    lines = ["| page | key | FCP cold | table cold | FCP warm | table warm | JS+CSS gzip / raw | font gzip |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['page']} | {r['role']} | {r['fcp_cold_ms']:.0f} ms | {r['ready_cold_ms']:.0f} ms | "
                     f"{r['fcp_warm_ms']:.0f} ms | {r['ready_warm_ms']:.0f} ms | {r['js_css_transfer_kb']:.0f} / "
                     f"{r['js_css_decoded_kb']:.0f} KB | {r['font_transfer_kb']:.0f} KB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path(tempfile.gettempdir()) / "talentcast-web-bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "web_pages.json")
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    home, keys = demo_workspace(args.home, n_paths=1000)
    with served(home, subprocess_server=True) as base, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            rows = measure(browser, base, keys, args.repeat)
            if args.screenshots:
                screenshots(browser, base, keys, args.screenshots)
        finally:
            browser.close()
    table = markdown(rows)
    print(table)
    args.json.write_text(json.dumps({"repeat": args.repeat, "pages": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
