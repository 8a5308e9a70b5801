"""Soak test of one `talentcast serve` under hostile and ordinary use (issue #15; results: README, docs/api.md).

    nice -n 10 .venv/bin/python benchmarks/soak.py [--home DIR] [--clients 50] [--minutes 10]
    nice -n 10 .venv/bin/python benchmarks/soak.py --bad-tokens 100000     # RSS over random tokens only
    nice -n 10 .venv/bin/python benchmarks/soak.py --key-timing 3000       # known vs unknown key prefix

What it does:
1. Prepares DIR with the demo data and a baseline run (as benchmarks/api_load.py: GENERATED Liuzhou schools
   and enrolment) and creates admin, planner (450200) and school keys.
2. Starts `talentcast serve` (the real CLI server, one uvicorn worker, access log on) as a subprocess.
3. Mixed load from N concurrent keep-alive clients for M minutes, each client with one role:
     70 %  authenticated reads: /v1/gaps, /v1/warnings, /v1/forecasts/demand, /v1/regions, /v1/schools, pages
     20 %  hostile: random well-formed keys, malformed ones, wrong secrets on real prefixes, keys in the query
     6 %   uploads (admin): a valid regions CSV (201, a new version) or a broken one (422), 1 s apart
     4 %   scenarios (planner): POST /v1/scenarios of the EV-plant change (recomputed from the fitted state)
4. Reports the server's RSS (from /proc) after start, after a warm-up (a tenth of the run: caches filling)
   and at the end; counts by operation and status; p50/p99/max latency per operation; 5xx count.
Targets (issue #15): RSS growth from warm-up to end under 5 %, zero 5xx.

--bad-tokens N: only unauthenticated requests with N distinct random tokens (the finding: +50 MiB per 100k
before #15), RSS before and after. --key-timing N: median time of N requests with a wrong secret on a
known prefix vs an unknown prefix (interleaved), which must not differ measurably.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import string
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from api_load import prepare  # noqa: E402  (benchmarks/ is not a package)
from test_api_support import start_server as serve  # noqa: E402  (the tests' `talentcast serve` + health wait)

SCENARIO = {"id": "soak-ev-plant", "name": "新能源汽车新工厂 / New EV plant", "changes": [
    {"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, "percent": 15,
     "years": {"from": 2027}}]}
ALNUM = string.ascii_letters + string.digits


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def random_token(prefix: str | None = None) -> str:
    prefix = prefix or random.choice(string.ascii_lowercase) + "".join(random.choices(
        string.ascii_lowercase + string.digits, k=7))
    return f"tc_{prefix}_{''.join(random.choices(ALNUM, k=32))}"


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TALENTCAST_HOME": str(home), "PYTHONPATH": str(REPO)}
    env.pop("TALENTCAST_DATABASE_URL", None)
    try:
        return serve(env, port, "info", stdout=log.open("w"), timeout=120)
    except RuntimeError as exc:
        raise SystemExit(f"{exc}; server log: {log.read_text()[-2000:]}") from None


def regions_csv(home: Path, broken: bool) -> bytes:
    os.environ["TALENTCAST_HOME"] = str(home)
    from talentcast.settings import get_settings
    from talentcast.storage import Storage

    get_settings.cache_clear()
    with Storage() as storage:
        frame = storage.load_table("regions")
    if broken:
        frame = frame.drop(columns=["level"])
    return frame.to_csv(index=False).encode("utf-8")


class Recorder:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.recording = False

    def add(self, op: str, status: int, seconds: float) -> None:
        if self.recording:
            self.latency[op].append(seconds)
            self.status[op][status] += 1


CONNECTION_DROPPED = 0  # status recorded when the connection closed before an answer (see client_loop)


async def client_loop(role: str, base: str, keys: dict, uploads: dict, deadline: float, rec: Recorder) -> None:
    """One client: requests of its role until the deadline. A keep-alive connection the server closed just as
    the client reused it (uvicorn closes idle ones after 5 s) is counted as status 0, and the client goes on."""
    while time.monotonic() < deadline:
        try:
            await _client_requests(role, base, keys, uploads, deadline, rec)
        except httpx.TransportError:
            rec.add("connection dropped", CONNECTION_DROPPED, 0.0)


async def _client_requests(role: str, base: str, keys: dict, uploads: dict, deadline: float, rec: Recorder) -> None:
    prefixes = [keys[k].split("_")[1] for k in ("admin", "planner", "school")]
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while time.monotonic() < deadline:
            if role == "read":
                op, who, path, params = random.choice([
                    ("read gaps", "planner", "/v1/gaps", {"year": 2027}),
                    ("read gaps", "planner", "/v1/gaps", {"limit": 50, "offset": random.randrange(0, 200)}),
                    ("read warnings", "school", "/v1/warnings", {}),
                    ("read demand", "planner", "/v1/forecasts/demand", {"limit": 20}),
                    ("read regions", "school", "/v1/regions", {}),
                    ("read schools", "planner", "/v1/schools", {}),
                ])
                start = time.perf_counter()
                response = await client.get(path, params=params, headers={"Authorization": f"Bearer {keys[who]}"})
            elif role == "hostile":
                kind = random.randrange(4)
                start = time.perf_counter()
                if kind == 0:
                    op, headers, params = "bad: random key", {"Authorization": f"Bearer {random_token()}"}, {}
                elif kind == 1:
                    op = "bad: known prefix, wrong secret"
                    headers, params = {"Authorization": f"Bearer {random_token(random.choice(prefixes))}"}, {}
                elif kind == 2:
                    op, headers, params = "bad: malformed", {"Authorization": f"Bearer {secrets.token_hex(40)}"}, {}
                else:
                    op, headers, params = "bad: key in query", {}, {"api_key": keys["admin"]}
                response = await client.get("/v1/gaps", headers=headers, params=params)
            elif role == "upload":
                broken = random.random() < 0.5
                op = "upload (broken, 422)" if broken else "upload (valid, 201)"
                start = time.perf_counter()
                response = await client.post("/v1/datasets/regions", headers={"Authorization": f"Bearer {keys['admin']}"},
                                             files={"file": ("regions.csv", uploads[broken], "text/csv")})
                await asyncio.sleep(1.0)
            else:
                op = "scenario"
                start = time.perf_counter()
                response = await client.post("/v1/scenarios", json=SCENARIO, params={"year": 2027},
                                             headers={"Authorization": f"Bearer {keys['planner']}"})
            rec.add(op, response.status_code, time.perf_counter() - start)


def roles_for(clients: int, without: tuple[str, ...] = ()) -> list[str]:
    shares = [(role, share) for role, share in [("read", 0.70), ("hostile", 0.20), ("upload", 0.06),
                                                ("scenario", 0.04)] if role not in without]
    roles = []
    for role, share in shares:
        roles += [role] * max(1, round(clients * share))
    return roles[:clients] if len(roles) >= clients else roles + ["read"] * (clients - len(roles))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


async def soak(base: str, pid: int, keys: dict, uploads: dict, clients: int, seconds: float,
               without: tuple[str, ...] = ()) -> dict:
    rec = Recorder()
    rss = {"after start": rss_kib(pid)}
    roles = roles_for(clients, without)
    warmup = seconds / 10
    began = time.monotonic()
    deadline = began + seconds
    tasks = [asyncio.create_task(client_loop(r, base, keys, uploads, deadline, rec)) for r in roles]
    timeline = []

    async def sample() -> None:  # RSS every tenth of the run: a plateau or a slope?
        while time.monotonic() < deadline:
            timeline.append((round(time.monotonic() - began), round(rss_kib(pid) / 1024)))
            await asyncio.sleep(seconds / 20)

    sampler = asyncio.create_task(sample())
    await asyncio.sleep(warmup)
    rss["after warm-up"] = rss_kib(pid)
    rec.recording = True
    await asyncio.gather(*tasks)
    rss["at end"] = rss_kib(pid)
    sampler.cancel()
    ops = {}
    for op in sorted(rec.latency):
        lat = rec.latency[op]
        ops[op] = {"requests": len(lat), "status": dict(sorted(rec.status[op].items())),
                   "p50_ms": round(pct(lat, 0.5), 1), "p99_ms": round(pct(lat, 0.99), 1),
                   "max_ms": round(max(lat) * 1000, 1)}
    everything = [x for lat in rec.latency.values() for x in lat]
    status = Counter()
    for counter in rec.status.values():
        status.update(counter)
    return {"clients": clients, "roles": dict(Counter(roles)), "seconds_measured": round(seconds - warmup),
            "rss_kib": rss, "rss_mib_timeline_s": timeline, "rss_growth_after_warmup_pct": round(100 * (rss["at end"] / rss["after warm-up"] - 1), 2),
            "status": dict(sorted(status.items())), "5xx": sum(n for s, n in status.items() if s >= 500),
            "p99_ms_all": round(pct(everything, 0.99), 1), "requests": len(everything), "operations": ops}


async def bad_tokens(base: str, pid: int, count: int, clients: int = 50) -> dict:
    before = rss_kib(pid)
    queue = iter(range(count))
    statuses = Counter()

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for _ in queue:
                try:
                    response = await client.get("/v1/regions", headers={"Authorization": f"Bearer {random_token()}"})
                    statuses[response.status_code] += 1
                except httpx.TransportError:  # an idle keep-alive connection closed by the server: go on
                    statuses[CONNECTION_DROPPED] += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return {"tokens": count, "seconds": round(time.monotonic() - started, 1), "status": dict(statuses),
            "rss_kib_before": before, "rss_kib_after": rss_kib(pid),
            "rss_growth_mib": round((rss_kib(pid) - before) / 1024, 1)}


async def key_timing(base: str, keys: dict, count: int) -> dict:
    known = keys["planner"].split("_")[1]
    times = {"known prefix, wrong secret": [], "unknown prefix": []}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for i in range(count):
            for label in (list(times) if i % 2 else list(times)[::-1]):  # interleaved, alternating order
                token = random_token(known if label.startswith("known") else None)
                start = time.perf_counter()
                response = await client.get("/v1/regions", headers={"Authorization": f"Bearer {token}"})
                times[label].append(time.perf_counter() - start)
                assert response.status_code == 401
    out = {label: {"median_us": round(statistics.median(v) * 1e6, 1), "p90_us": round(pct(v, 0.9) * 1000, 1)}
           for label, v in times.items()}
    a, b = (statistics.median(v) for v in times.values())
    out["difference_of_medians_us"] = round((a - b) * 1e6, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/talentcast-soak"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--bad-tokens", type=int, default=0)
    parser.add_argument("--key-timing", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--without", nargs="*", default=[], choices=["hostile", "upload", "scenario"],
                        help="leave these client roles out (their clients read instead), to find what grows")
    args = parser.parse_args()
    info = prepare(args.home)
    from talentcast.storage import Storage

    with Storage() as storage:
        keys = {"admin": storage.create_api_key("admin", name="soak")[0], "planner": info["planner_key"],
                "school": info["school_key"]}
    uploads = {False: regions_csv(args.home, broken=False), True: regions_csv(args.home, broken=True)}
    log = args.home / "soak-server.log"
    server = start_server(args.home, args.port, log)
    base = f"http://127.0.0.1:{args.port}"
    try:
        if args.bad_tokens:
            result = asyncio.run(bad_tokens(base, server.pid, args.bad_tokens))
        elif args.key_timing:
            result = asyncio.run(key_timing(base, keys, args.key_timing))
        else:
            result = asyncio.run(soak(base, server.pid, keys, uploads, args.clients, args.minutes * 60,
                                      tuple(args.without)))
            text = log.read_text(errors="replace")
            result["server_log"] = {"lines": text.count("\n"), "tracebacks": text.count("Traceback"),
                                    "admin_secret_in_log": keys["admin"].split("_")[2] in text}
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
