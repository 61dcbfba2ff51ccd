from __future__ import annotations

import pytest

from tests.plans.support import create_plan_prerequisites


@pytest.fixture
def plan_prerequisites(db: None) -> None:
    create_plan_prerequisites()
