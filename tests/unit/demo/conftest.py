from __future__ import annotations

import pytest
from tests.unit.demo.demo_kit import generate

from goodwill.demo.models import Batch, DemoSpec

#: Spans three batches, so cross-batch numbering and streams are exercised.
SHAPE_CUSTOMERS = 4500


@pytest.fixture(scope="session")
def shop() -> list[Batch]:
    return generate(DemoSpec(SHAPE_CUSTOMERS, seed=42))
