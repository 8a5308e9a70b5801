"""Shared helpers of the browser tests and benchmarks/web_pages.py (no tests here): the demo workspace, a real
`talentcast serve` on it, and Debian's Chromium driven by Playwright.

The demo workspace takes ~25 s to build, so it is built once per test session and shared by the xdist workers
(the first worker builds it under a file lock, the others wait and reuse it); each worker starts its own server
on it. Browser downloads (`playwright install`) are not needed: Playwright drives /usr/bin/chromium.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from test_api_support import free_port, start_server  # noqa: E402

CHROMIUM = os.environ.get("TALENTCAST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_REGION = "450200"
DEMO_SCHOOL = "450200-G01"
OTHER_SCHOOL = "450200-G02"


def server_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "TALENTCAST_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(REPO)}
    env.pop("TALENTCAST_DATABASE_URL", None)
    return env


def demo_workspace(root: Path, n_paths: int = 200) -> tuple[Path, dict[str, str]]:
    """(home, keys by role) of the demo workspace under `root`, built once: the embedded demo tables and one
    baseline run, as `talentcast demo --no-track` makes them but with `n_paths` sample paths (the demo's 1000
    take three times as long and change no page; benchmarks/web_pages.py passes 1000).

    Keys: admin, planner (柳州 450200), school (450200-G01)."""
    from talentcast.service import Service
    from talentcast.settings import Settings
    from talentcast.storage import Storage

    root.mkdir(parents=True, exist_ok=True)
    home, keys_file = root / "web-demo", root / "web-demo-keys.json"
    with open(root / "web-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder; the other workers wait here
        if not keys_file.exists():
            settings = Settings(home=home, database_url=f"sqlite:///{home / 'talentcast.db'}")
            settings.ensure_home()
            with Storage(settings.database_url) as storage:
                service = Service(storage, settings)
                service.load_demo()
                service.run(track=False, n_paths=n_paths)
                keys = {"admin": storage.create_api_key("admin", name="ops")[0],
                        "planner": storage.create_api_key("planner", region=DEMO_REGION, name="柳州市教育局")[0],
                        "school": storage.create_api_key("school", school=DEMO_SCHOOL, name="龙城职院")[0]}
            keys_file.write_text(json.dumps(keys))
    return home, json.loads(keys_file.read_text())


@contextmanager
def served(home: Path, subprocess_server: bool = False):
    """A real HTTP server on `home`; yields the base URL.

    By default uvicorn serves `create_app()` in a thread of this process (the tests' process has imported
    everything already: starting a second Python costs 10-20 s on a busy 2-core machine); with
    `subprocess_server` it is `talentcast serve` in a subprocess, as a user starts it (the benchmark's choice).
    """
    port = free_port()
    if subprocess_server:
        server = start_server(server_env(home), port)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            try:
                server.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.communicate()
        return
    import uvicorn

    from api.main import create_app
    from talentcast.settings import Settings

    settings = Settings(home=home, database_url=f"sqlite:///{home / 'talentcast.db'}")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the dashboard's server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (scripts/system-packages.txt; "
                           "./scripts/test installs it as root)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(page, base: str, key: str, path: str = "") -> None:
    """Open the dashboard, sign in with `key` and wait until the first page is rendered."""
    page.goto(f"{base}/{path}")
    page.fill("#key", key)
    page.click("#login-form button[type=submit]")
    page.wait_for_function("document.body.dataset.ready && document.body.dataset.ready !== 'login'")


def open_page(page, base: str, route: str) -> None:
    """Go to `#/route` and wait until its main table is rendered (body[data-ready] = the page's name)."""
    name = route.split("/")[0].split("?")[0]
    page.evaluate("document.body.dataset.ready = ''")
    page.goto(f"{base}/#/{route}")
    page.wait_for_function(f"document.body.dataset.ready === '{name}'", timeout=20000)
