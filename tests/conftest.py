from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "torch_cases"))

HAS_TORCH = importlib.util.find_spec("torch") is not None
NEEDS_TORCH = "needs PyTorch"
GET_TORCH = "pip install torch==2.13.0 (the CPU build)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked torch run against live PyTorch; without it they are skipped, and said so."""
    if HAS_TORCH:
        return
    skip = pytest.mark.skip(reason=f"{NEEDS_TORCH}: {GET_TORCH}")
    for item in items:
        if item.get_closest_marker("torch") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if NEEDS_TORCH in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} checks need PyTorch and were skipped: they run each exported script "
            "under torch and regenerate every PyTorch verdict the fixtures hold. To run them: "
            f"{GET_TORCH}; CI runs them all."
        )
