"""The registered demand model: the engine configuration as an MLflow pyfunc model, promoted to @champion only
when its honest backtest beats the current champion, and loaded by alias.

Importing this module does not import MLflow: `talentcast forecast --no-track` imports it (for
register_champion) and never touches MLflow, and `mlflow.pyfunc` takes seconds to import. The pyfunc class
is defined on first use (engine_model_class) under its stable name `talentcast.model_registry.EngineModel`,
which is how registered models are pickled and found again when loaded.
"""

from __future__ import annotations

import functools
import json

import pandas as pd

from features.errors import TalentcastError

from forecasting.engine import forecast
from talentcast.tracking import CHAMPION, MODEL_NAME, PIP_REQUIREMENTS, _client, owner_tags


@functools.cache
def engine_model_class() -> type:
    """The EngineModel class, an ``mlflow.pyfunc.PythonModel`` subclass, defined once on first use."""
    # Imported here, not at module top: mlflow.pyfunc takes seconds to import, and only registering or loading
    # a model needs it (the forecast command imports this module but, with --no-track, never registers).
    import mlflow.pyfunc

    class EngineModel(mlflow.pyfunc.PythonModel):
        """An mlflow.pyfunc model wrapping the engine configuration (method, horizon, levels, breaks).

        ``predict(long_frame)`` runs :func:`forecasting.engine.forecast` on the given history and returns the
        forecast table; ``params={"horizon": 5}`` overrides the horizon per call.
        """

        def load_context(self, context):
            raw = dict(context.model_config or {})
            self.config = json.loads(raw["engine_config"]) if "engine_config" in raw else raw

        # `model_input: pd.DataFrame` is a hint MLflow accepts without inferring a schema or validating the
        # input (the engine takes tables of any shape it knows); without a hint MLflow warns at class definition.
        def predict(self, context, model_input: pd.DataFrame, params=None):
            config = {**self.config, **(params or {})}
            frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
            result = forecast(
                frame,
                int(config.get("horizon", 5)),
                method=config.get("method", "auto"),
                levels=tuple(config.get("levels", (80, 95))),
                breaks=config.get("breaks"),
            )
            return result.forecasts

    # Pickled by reference under this name (as when the class was defined at module top): a registered model
    # loads in a fresh process through the module __getattr__ below, and older registered versions still load.
    EngineModel.__qualname__ = "EngineModel"
    return EngineModel


def __getattr__(name: str):
    # `talentcast.model_registry.EngineModel` is looked up by pickle when a registered model is loaded.
    if name == "EngineModel":
        return engine_model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_champion(config: dict, metric: str, value: float, run_id: str | None = None,
                      lower_is_better: bool = True) -> dict:
    """Register the engine configuration as a new version; promote it to @champion only if it is better.

    Args:
        config: engine configuration served by the model (method, horizon, levels, breaks).
        metric: backtest metric compared (e.g. "mase"); the champion must have been scored on the same one.
        value: this configuration's backtest value of `metric`.
        run_id: run to attach the model to (a new run is created when None).

    Returns:
        dict version, promoted (bool), metric, value, champion_version_before, champion_value_before.
    """
    mlflow, client, experiment_id = _client()
    previous = _champion_version(client)
    previous_value = None
    if previous is not None and previous.tags.get("metric") == metric:
        try:
            previous_value = float(previous.tags.get("metric_value"))
        except (TypeError, ValueError):
            previous_value = None
    if run_id is None:
        run_id = client.create_run(experiment_id, run_name="register-demand-model",
                                   tags={"talentcast.kind": "register", **owner_tags()}).info.run_id
    with mlflow.start_run(run_id=run_id):
        info = mlflow.pyfunc.log_model(
            name="demand_model",
            python_model=engine_model_class()(),
            # One JSON key: MLflow also logs model_config as run params, which must not clash with the run's own.
            model_config={"engine_config": json.dumps(config, default=list, ensure_ascii=False)},
            pip_requirements=PIP_REQUIREMENTS,
        )
    version = mlflow.register_model(info.model_uri, MODEL_NAME)
    if previous is None:
        promoted = True
    elif previous_value is None:
        promoted = True  # the champion was scored on another metric: not comparable, the new score wins
    else:
        # Compare at the stored precision: re-registering the same score must not move the alias.
        value_stored = round(float(value), 6)
        promoted = value_stored < previous_value if lower_is_better else value_stored > previous_value
    tags = {
        "metric": metric,
        "metric_value": f"{value:.6f}",
        "champion_version_before": previous.version if previous is not None else "",
        "champion_value_before": f"{previous_value:.6f}" if previous_value is not None else "",
        "promoted": str(promoted).lower(),
        "config": json.dumps(config, default=list, ensure_ascii=False),
    }
    for key, text in tags.items():
        client.set_model_version_tag(MODEL_NAME, version.version, key, text)
    if promoted:
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version.version)
    return {
        "version": int(version.version),
        "promoted": promoted,
        "metric": metric,
        "value": value,
        "champion_version_before": int(previous.version) if previous is not None else None,
        "champion_value_before": previous_value,
        "run_id": run_id,
    }


def _champion_version(client):

    from mlflow.exceptions import MlflowException  # lazy, like mlflow.pyfunc above: only reached when tracking

    try:
        return client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
    except MlflowException:
        return None


def load_champion():
    """The @champion demand model as an mlflow.pyfunc model.

    Raises:
        TalentcastError: no champion registered yet.
    """
    mlflow, client, _ = _client()
    if _champion_version(client) is None:
        raise TalentcastError(f"no champion model registered yet ({MODEL_NAME}@{CHAMPION}); "
                              "run `talentcast backtest ... --register` first",
                              f"尚未登记冠军模型（{MODEL_NAME}@{CHAMPION}）；请先运行 `talentcast backtest ... --register`")
    return mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@{CHAMPION}")


