"""talentcast: talent supply-demand forecasting and major early warning (人才供需预测与专业预警)."""

import os

# MLflow's telemetry tries the network, which this service must never need.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")

__version__ = "0.1.0"
