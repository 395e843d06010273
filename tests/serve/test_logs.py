"""Server logging: INFO lines reach a terminal with their time, and journald with their priority."""

from __future__ import annotations

import logging
import os

import pytest

from appliance.serve.logs import configure_logging


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_terminal_lines_carry_time_level_and_name(tmp_path, monkeypatch, restore_root) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    with open(tmp_path / "out.log", "w+", encoding="utf-8") as stream:
        configure_logging(stream=stream)
        logging.getLogger("appliance.serve").info("/v1/chat/completions 200 model=tiny")
        stream.flush()
        line = (tmp_path / "out.log").read_text().strip()
    assert line.endswith("INFO appliance.serve: /v1/chat/completions 200 model=tiny")
    assert line[:4].isdigit()  # starts with the date


def test_under_journald_each_line_starts_with_its_priority(tmp_path, monkeypatch, restore_root) -> None:
    with open(tmp_path / "journal.log", "w+", encoding="utf-8") as stream:
        info = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{info.st_dev}:{info.st_ino}")
        configure_logging(stream=stream)
        configure_logging(stream=stream)  # configuring twice keeps one handler
        logging.getLogger("appliance.serve").info("/health 200")
        logging.getLogger("appliance.serve.http").warning("connection limit (64) reached")
        stream.flush()
        lines = (tmp_path / "journal.log").read_text().splitlines()
    assert lines == ["<6>appliance.serve: /health 200", "<4>appliance.serve.http: connection limit (64) reached"]
