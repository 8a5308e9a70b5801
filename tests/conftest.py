"""Shared test fixtures. Every test gets its own TALENTCAST_HOME (SQLite + MLflow store) under tmp_path."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = REPO_ROOT / "talentcast" / "data" / "real"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point talentcast (database, MLflow store, artifacts) at a fresh directory for each test."""
    home = tmp_path / "tc-home"
    monkeypatch.setenv("TALENTCAST_HOME", str(home))
    monkeypatch.delenv("TALENTCAST_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    from talentcast.settings import get_settings

    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


# --------------------------------------------------------------------------- PostgreSQL cluster
# The PostgreSQL tests run on every test run: `scripts/test` installs Debian's `postgresql` package on a fresh
# machine (scripts/system-packages.txt). When the cluster cannot be started the tests FAIL with the reason,
# never skip: a skipped database is an untested one.

PG_INSTALL_HINT = ("install Debian's postgresql package (scripts/test does it as root: scripts/system-packages.txt), "
                   "or put PostgreSQL's bin folder on PATH")


def pg_bin_dir() -> Path | None:
    """PostgreSQL's server binaries: initdb on PATH, else the newest /usr/lib/postgresql/<version>/bin."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
                   if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster on a free port; yields a function making a fresh database URL."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.fail(f"PostgreSQL binaries not found (no initdb on PATH or in /usr/lib/postgresql/*/bin): "
                    f"{PG_INSTALL_HINT}", pytrace=False)
    try:
        import psycopg
    except ImportError:
        pytest.fail("psycopg is not installed: run scripts/test (it syncs the dev group from uv.lock)", pytrace=False)
    # initdb refuses to run as root; run the server as the postgres user then, in a directory it owns.
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="tc-pg-"))
    if os.geteuid() == 0:
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root and there is no 'postgres' user to run PostgreSQL (the postgresql package "
                        f"creates it): {PG_INSTALL_HINT}", pytrace=False)
        os.chown(base, user.pw_uid, user.pw_gid)
        # runuser lives in /usr/sbin, which a minimal PATH may leave out.
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if runuser is None:
            pytest.fail("running as root and 'runuser' (util-linux) is not available to start PostgreSQL as the "
                        "postgres user", pytrace=False)
        as_user = [runuser, "-u", "postgres", "--"]
    from test_api_support import free_port  # lazily, as the other project imports here

    data = base / "data"
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True)
        if done.returncode != 0:
            log = (base / "log").read_text(errors="replace")[-2000:] if (base / "log").exists() else ""
            pytest.fail(f"could not start a throwaway PostgreSQL cluster: {' '.join(args[:1])} exited "
                        f"{done.returncode}: {(done.stderr or done.stdout).strip()[-2000:]} {log}", pytrace=False)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
        "--locale=C", "--no-sync")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(base / "log"), "-o",
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", "start")
    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def new_database() -> str:
        # A schema per test rather than a database: CREATE DATABASE copies ~8 MB of files each time, which
        # made deleting the cluster slow; the search_path option puts every talentcast table in the schema.
        name = f"tc_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres?options=-csearch_path%3D{name}"

    try:
        yield new_database
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        # Deleting the cluster's files takes seconds on a busy disk; nothing waits for it.
        subprocess.Popen(["rm", "-rf", str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh database URL: a SQLite file, then a schema in the throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'talentcast.db'}"
    return request.getfixturevalue("pg_cluster")()
