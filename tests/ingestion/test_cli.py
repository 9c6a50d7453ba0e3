"""The `gjj freshness` command: one line per partner feed with its timeliness status."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gjj import cli, settings
from gjj.settings import Settings


def test_freshness_lists_every_feed(center: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GJJ_LAKEHOUSE_ROOT", str(center.root))
    settings.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["freshness"])
    finally:
        settings.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert sorted(line.split()[0] for line in lines) == ["bdc", "ga", "mz", "sb", "scjg"]
    assert all(line.split()[1] in {"ok", "late", "missing"} for line in lines)
    # the initial generation delivers every daily feed for the business date before the deadline
    assert {line.split()[0]: line.split()[1] for line in lines}["bdc"] == "ok"
