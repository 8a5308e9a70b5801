"""CLI commands: `talentcast serve` (the HTTP API) and `talentcast keys create|list|revoke` (API keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from features.errors import TalentcastError, bilingual
from talentcast.cli.app import app
from talentcast.settings import get_settings
from talentcast.service import Service
from talentcast.tracking import close_orphaned_runs, store_location, store_problem, tracking_uri
from talentcast.storage import ROLES, Storage

keys_app = typer.Typer(
    help="Manage API keys (admin | planner | school). Keys are stored only as SHA-256 digests.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def _storage() -> Storage:
    return Storage()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on (0.0.0.0 for every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Run the HTTP API (uvicorn) on the configured database (embedded SQLite by default)."""
    import uvicorn  # the server, only for this command

    settings = get_settings()
    storage = _storage()  # opens (and migrates) the database now, so a bad URL fails before listening
    try:
        versions = storage.current_versions()
        run = storage.latest_run()
        keys = [k for k in storage.list_api_keys() if k.active]
    finally:
        storage.close()
    typer.echo(f"talentcast API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    typer.echo(f"database: {storage!r}".replace("Storage(", "").rstrip(")"))
    if not versions:
        typer.echo("the database is empty: load the demo with `talentcast demo`, or your own tables with "
                   "`talentcast ingest TABLE FILE` and then recompute (POST /v1/runs as admin)")
    elif run is None:
        typer.echo("no computed run yet: recompute with POST /v1/runs as admin (or run `talentcast demo`)")
    if not keys:
        typer.echo("no API keys yet: create one with `talentcast keys create --role admin`")
    problem = store_problem()
    if problem:
        typer.echo(f"warning: {problem}; results are served, GET /v1/models answers 503 and /v1/health says "
                   "'degraded' until it is fixed (move the file aside: a new store is made at the next run)")
    elif Path(store_location(tracking_uri())).exists():
        close_orphaned_runs()  # runs a killed process left RUNNING are marked KILLED
    if settings.environment == "production" and host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo("note: serve plain HTTP behind a TLS-terminating proxy; bearer keys must not cross networks "
                   "in clear text")
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, proxy_headers=False, server_header=False)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin | planner | school")],
    school: Annotated[Optional[str], typer.Option(help="school code (required for --role school)")] = None,
    region: Annotated[Optional[str], typer.Option(help="region code a planner may read (and below it)")] = None,
    name: Annotated[str, typer.Option(help="who the key is for (shown in `keys list`)")] = "",
) -> None:
    """Create a key and print it once (it cannot be shown again)."""
    if role not in ROLES:
        raise TalentcastError(f"unknown role '{role}'; roles: {', '.join(ROLES)}",
                              f"未知角色“{role}”；可用角色：{'、'.join(ROLES)}")
    if role != "school" and school:
        raise TalentcastError("--school is only for --role school", "--school 只用于 --role school（学校密钥）")
    if role == "admin" and region:
        raise TalentcastError("--region is only for --role planner (an admin key sees every region)",
                              "--region 只用于 --role planner（管理员密钥可查看所有地区）")
    storage = _storage()
    try:
        # The scope is checked against the stored regions and schools (an empty or unknown code is refused).
        plaintext, key = Service(storage).create_api_key(role, school=school, region=region, name=name)
    finally:
        storage.close()
    scope = [f"role {key.role}"] + ([f"school {key.school}"] if key.school else []) + (
        [f"region {key.region}"] if key.region else [])
    typer.echo(plaintext)
    typer.echo(bilingual(f"created key {key.id} (prefix {key.prefix}, {', '.join(scope)}); store it now: it is not "
                         "shown again", "密钥已创建，请立即保存：它不会再次显示"), err=True)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never the secrets)."""
    storage = _storage()
    try:
        keys = storage.list_api_keys()
    finally:
        storage.close()
    if not keys:
        typer.echo("no API keys; create one with `talentcast keys create --role admin`")
        return
    typer.echo(f"{'id':>4}  {'prefix':8}  {'role':7}  {'school':8}  {'region':6}  {'status':7}  {'created':20}  name")
    for key in keys:
        status = "active" if key.revoked_at is None else "revoked"
        created = key.created_at.strftime("%Y-%m-%d %H:%M:%S") if key.created_at else ""
        typer.echo(f"{key.id:>4}  {key.prefix:8}  {key.role:7}  {key.school or '-':8}  {key.region or '-':6}  "
                   f"{status:7}  {created:20}  {key.name}")


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="key id or prefix (as `keys list` shows)")]) -> None:
    """Revoke a key; a running server refuses it within a few seconds."""
    storage = _storage()
    try:
        revoked = storage.revoke_api_key(int(key) if key.isascii() and key.isdigit() else key)
    finally:
        storage.close()
    typer.echo(f"revoked key {revoked.id} (prefix {revoked.prefix}, role {revoked.role})")
