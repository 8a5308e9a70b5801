"""Honest coverage on the demo data with a city whose schools are mostly missing (GENERATED data).

    TALENTCAST_HOME=$(mktemp -d) .venv/bin/python benchmarks/honest_coverage.py [--schools G07,G08,G10] [--year 2030]

Loads the embedded demo tables through the service, keeps only three of Liuzhou's ten schools and gives one of
them a class of 460608 航空发动机维修技术 (a copy of its class with the best latest employment rate) that has no
crosswalk row, runs the pipeline (1,000 paths, no MLflow) and prints: the run's notes (with the supply coverage
lines), Liuzhou's and Guangxi's gaps in `--year` (rated or not, and why), the summary's ranked and unrated
sectors, the warnings per level and 460608's warning, and what `GET /v1/gaps` and `GET /v1/warnings` answer for
a sector without local supply and for 460608. The numbers are in docs/supply-demand.md ("Honest coverage").
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", default="G07,G08,G10", help="Liuzhou schools to keep (450200-<code>)")
    parser.add_argument("--year", type=int, default=2030)
    args = parser.parse_args()

    import pandas as pd
    from fastapi.testclient import TestClient

    from api.main import create_app
    from talentcast.demo import build_demo_tables
    from talentcast.service import Service, summarise_gaps, summarise_warnings
    from talentcast.settings import get_settings
    from talentcast.storage import Storage

    keep = [f"450200-{code}" for code in args.schools.split(",")]
    tables = build_demo_tables()
    schools, schools_meta = tables["schools"]
    tables["schools"] = (schools[schools["code"].isin(keep)].reset_index(drop=True), schools_meta)
    enrolment, enrolment_meta = tables["enrolment"]
    enrolment = enrolment[enrolment["school"].isin(keep)]
    host = keep[-1]
    known = enrolment[(enrolment["school"] == host) & enrolment["graduates_employed"].notna()]
    latest = known[known["year"] == known["year"].max()]
    best = latest.assign(rate=latest["graduates_employed"] / latest["graduates"]).sort_values("rate")["major"].iloc[-1]
    copy = enrolment[(enrolment["school"] == host) & (enrolment["major"] == best)].assign(major="460608")
    tables["enrolment"] = (pd.concat([enrolment, copy], ignore_index=True), enrolment_meta)

    settings = get_settings()
    settings.ensure_home()
    pd.set_option("display.width", 200)
    with Storage() as storage:
        service = Service(storage, settings)
        service.load_demo(tables=tables)
        stored = service.run(track=False)
        for note in stored.result.meta["notes"]:
            print("note:", note)
        gaps = stored.result.results["gaps"]
        for region in ("450200", "450000"):
            rows = gaps[(gaps["region"] == region) & (gaps["year"] == args.year)]
            rated = rows["ratio_median"].notna()
            span = (f"ratios {rows.loc[rated, 'ratio_median'].min():.2f}-{rows.loc[rated, 'ratio_median'].max():.2f}"
                    if rated.any() else "no ratio")
            print(f"\n{region} {args.year}: {int(rated.sum())} of {len(rows)} sectors rated, {span}, "
                  f"P(shortage) >= 99.5% in {int((rows['p_shortage'] >= 0.995).sum())}")
            print(rows[["sector", "openings_mean", "supply_mean", "ratio_median", "p_shortage", "p_surplus",
                        "not_rated_reason"]].round(3).to_string(index=False))
        summary = summarise_gaps(stored.result.results, stored.tables, "450200", args.year)
        print("\nranked shortages:", list(summary["shortage_sectors"]["sector"]),
              "surpluses:", list(summary["surplus_sectors"]["sector"]),
              "not rated:", list(summary["not_rated_sectors"]["sector"]))
        warnings = stored.warnings
        counts = summarise_warnings(warnings)
        print("warnings:", counts["levels"], counts["actions"])
        for _, w in warnings[warnings["major"] == "460608"].iterrows():
            print(f"460608: {w['level']} / {w['action']} {int(w['current_intake'])} -> "
                  f"{int(w['recommended_intake'])}\n  {w['explanation_zh']}\n  {w['explanation_en']}")
        key = {"Authorization": f"Bearer {storage.create_api_key('admin', name='benchmark')[0]}"}
        unsupplied = gaps[(gaps["region"] == "450200") & (gaps["year"] == args.year) & (gaps["supply_mean"] < 1)]
        with TestClient(create_app(settings)) as client:
            if len(unsupplied):
                sector = unsupplied["sector"].iloc[0]
                item = client.get("/v1/gaps", params={"region": "450200", "sector": sector, "year": args.year},
                                  headers=key).json()["items"][0]
                print(f"GET /v1/gaps {sector}:", json.dumps({k: item.get(k) for k in (
                    "supply_mean", "ratio_median", "p_shortage", "not_rated_reason", "rating_note")},
                    ensure_ascii=False))
            item = client.get("/v1/warnings", params={"major": "460608"}, headers=key).json()["items"][0]
            print("GET /v1/warnings 460608:", json.dumps({k: item.get(k) for k in (
                "level", "action", "current_intake", "recommended_intake", "explanation")}, ensure_ascii=False))


if __name__ == "__main__":
    main()
