"""Fixtures: the small crafted warehouse (report_warehouse.py), with and without the news marts."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_warehouse import build_warehouse


@pytest.fixture(scope="session")
def mini_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small warehouse without the news marts."""
    return build_warehouse(tmp_path_factory.mktemp("mini") / "warehouse.duckdb")


@pytest.fixture(scope="session", params=["join", "inline"])
def mini_warehouse_claims(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small warehouse with the news marts, in both shapes of the reconciliation mart."""
    return build_warehouse(tmp_path_factory.mktemp(f"mini_claims_{request.param}") / "warehouse.duckdb",
                           claims=request.param)
