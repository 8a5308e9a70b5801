"""MLflow tracking against a real SQLite store in tmp: runs, the model registry, aliases, pyfunc serving.

Few tests on purpose: MLflow is slow to import and to create its schema.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.errors import TalentcastError
from talentcast.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _history() -> pd.DataFrame:
    noise = np.random.default_rng(5).normal(0, 0.03, 30)
    rows = [{"series_id": f"450200|{s}", "period": str(y), "value": base * 1.04 ** (y - 2012) * np.exp(noise[i])}
            for j, (s, base) in enumerate((("C36", 30.0), ("C35", 12.0), ("I65", 5.0)))
            for i, y in enumerate(range(2012 + 0 * j, 2022), start=10 * j)]
    return pd.DataFrame(rows)


def test_backtest_run_is_tracked_and_champion_promoted_only_when_better(tmp_path, capsys, isolated_home):
    from mlflow.tracking import MlflowClient

    from talentcast.model_registry import load_champion, register_champion
    from talentcast.tracking import list_model_versions, track_run
    from talentcast.settings import get_settings

    path = tmp_path / "series.csv"
    _history().to_csv(path, index=False)
    with pytest.raises(TalentcastError, match="no champion"):
        load_champion()
    main(["backtest", "--input", str(path), "--horizon", "1", "--windows", "2", "--models", "auto,theta",
          "--output", str(tmp_path / "bt.csv"), "--register"])
    out = capsys.readouterr().out
    assert "as @champion" in out

    uri = get_settings().mlflow_tracking_uri
    assert uri.startswith("sqlite:///") and str(isolated_home) in uri
    client = MlflowClient(uri)
    run = client.search_runs([client.get_experiment_by_name("talentcast").experiment_id])[0]
    assert run.data.params["horizon"] == "1" and len(run.data.params["dataset_sha256"]) == 64
    assert run.data.metrics["auto.mase"] > 0 and "naive.coverage_80" in run.data.metrics
    history = client.get_metric_history(run.info.run_id, "window.theta.mase")
    assert sorted(m.step for m in history) == [0, 1]  # one value per backtest window
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"backtest.csv", "metrics.csv", "summary.csv"} <= artifacts
    assert str(get_settings().artifacts_dir) in run.info.artifact_uri

    champion_mase = float(run.data.metrics["auto.mase"])
    worse = register_champion({"method": "naive", "horizon": 1}, "mase", champion_mase + 1.0)
    better = register_champion({"method": "auto", "horizon": 2}, "mase", champion_mase / 2)
    assert worse["promoted"] is False and worse["champion_value_before"] == pytest.approx(champion_mase, abs=1e-6)
    tie = register_champion({"method": "auto", "horizon": 3}, "mase", champion_mase / 2)
    assert better["promoted"] is True and better["champion_version_before"] == 1
    assert tie["promoted"] is False  # equal is not better: the alias stays
    versions = list_model_versions()
    assert [v["version"] for v in versions] == [4, 3, 2, 1]
    assert versions[1]["aliases"] == ["champion"] and versions[0]["aliases"] == versions[2]["aliases"] == []
    versions = versions[1:]
    assert versions[1]["metric_value"] == pytest.approx(champion_mase + 1.0, abs=1e-6)

    model = load_champion()
    forecasts = model.predict(_history())
    assert forecasts["period"].unique().tolist() == ["2022", "2023"]  # the champion's config: horizon 2
    np.testing.assert_array_less(0, forecasts["mean"])

    # A fresh process (as `talentcast serve` or a user's notebook): the model is pickled by reference to
    # talentcast.model_registry.EngineModel, a class that module defines only on first use; MLflow would warn
    # at its definition if predict had no type hints.
    script = ("import sys, pandas as pd; from talentcast.model_registry import load_champion;"
              "model = load_champion(); frame = pd.read_csv(sys.argv[1], dtype={'period': str});"
              "print(type(model.unwrap_python_model()).__qualname__, *model.predict(frame)['period'].unique())")
    done = subprocess.run([sys.executable, "-W", "always", "-c", script, str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["EngineModel", "2022", "2023"]
    assert "type hints" not in done.stderr

    run_id = track_run("forecast", {"method": "x"}, metrics={"m": 1.0})
    assert client.get_run(run_id).data.tags["talentcast.kind"] == "forecast"
