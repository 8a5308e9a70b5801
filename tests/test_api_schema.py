"""Schemathesis over the OpenAPI schema: generated valid and invalid requests never get a 5xx, and every
2xx response matches its documented response model.

Bounded (a few examples per operation and generation method) so the module runs in well under a minute.
POST /v1/runs is left out: it recomputes the whole pipeline (tested in test_api_runs.py).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.main import create_app
from talentcast.service import run_and_store
from talentcast.storage import Storage
from test_api_support import bearer, seed_storage, settings_for

MAX_EXAMPLES = 8
# FastAPI emits OpenAPI 3.1; schemathesis 3.x supports it behind this flag.
schemathesis.experimental.OPEN_API_3_1.enable()


class _LegacyMany:
    """The `many` helper as hypothesis-jsonschema 0.23 (used by schemathesis 3.39) calls it: `more()` /
    `reject()`. Hypothesis 6.170 (our lock) replaced that API with a context manager, which breaks the
    generation of every object schema (query parameters, JSON and multipart bodies) with AttributeError.
    Same decisions as the old helper, without its shrinking spans."""

    def __init__(self, data, min_size, max_size, average_size):
        from hypothesis.internal.conjecture.utils import _calc_p_continue

        self.data, self.min_size, self.max_size = data, min_size, max_size
        self.p_continue = _calc_p_continue(average_size - min_size, max_size - min_size)
        self.count, self.rejections, self.force_stop = 0, 0, False

    def more(self) -> bool:
        if self.count < self.min_size:
            go = True
        elif self.force_stop or self.count >= self.max_size:
            go = False
        else:
            go = self.data.draw_boolean(self.p_continue)
        self.count += go
        return go

    def reject(self, why=None) -> None:
        self.count -= 1
        self.rejections += 1
        if self.rejections > max(3, 2 * self.count):
            if self.count < self.min_size:
                self.data.mark_invalid(why)
            self.force_stop = True


@pytest.fixture(scope="module", autouse=True)
def _hypothesis_jsonschema_compat():
    from hypothesis_jsonschema import _from_schema

    with pytest.MonkeyPatch.context() as patch:
        if not hasattr(_from_schema.cu.many, "more"):
            patch.setattr(_from_schema, "cu", SimpleNamespace(many=_LegacyMany))
        yield


@pytest.fixture(scope="module")
def api_env(tmp_path_factory):
    config = settings_for(tmp_path_factory.mktemp("schema") / "home")
    storage = Storage(config.database_url)
    seed_storage(storage, with_run=False)
    # A real (small) pipeline run, so that results have their real shapes and scenarios find its saved state.
    run_and_store(storage, config, horizon=3, track=False, n_paths=100, method="naive")
    admin = storage.create_api_key("admin")[0]
    app = create_app(config)
    yield {"app": app, "admin": admin, "storage": storage}
    storage.close()


@pytest.fixture(scope="module")
def api_schema(api_env):
    return schemathesis.from_asgi(
        "/openapi.json", api_env["app"],
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )


schema = schemathesis.from_pytest_fixture("api_schema").exclude(method="POST", path="/v1/runs")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_server_errors_and_documented_responses(case, api_env):
    response = case.call_and_validate(headers=bearer(api_env["admin"]),
                                      checks=(not_a_server_error, response_schema_conformance))
    assert response.status_code < 500
