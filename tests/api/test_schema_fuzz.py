"""schemathesis against the OpenAPI schema, in-process over ASGI: generated requests (valid and
invalid) never cause a server error, and responses conform to the schema."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from hlsguide.answer.service import AnswerService
from hlsguide.api.app import create_app
from hlsguide.storage.api_keys import create_api_key

EXAMPLES_PER_OPERATION = 25


def test_every_operation_survives_generated_requests(built):
    app_settings = built.settings.model_copy(update={"rate_limit_per_minute": 1_000_000})
    app = create_app(app_settings, built, AnswerService(app_settings, built))
    key, _ = create_api_key(app.state.services.store, "fuzz", ["ask", "admin"])
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case):
            case.call_and_validate(
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        check()
