"""Operations: every setting from the environment or `.env`, and log lines an operator can read."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from l2c_app.core.config import SettingsError, load_settings
from l2c_app.core.logs import kv


def test_port_redis_and_log_level_come_from_dotenv_too(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4123\nREDIS_URL=redis://cache:6379/2\nLOG_LEVEL=debug\n")
    s = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, dotenv=env_file)
    assert (s.port, s.redis_url, s.log_level) == (4123, "redis://cache:6379/2", "DEBUG")
    s = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "PORT": "5000"}, dotenv=env_file)
    assert s.port == 5000  # the environment wins over the file


@pytest.mark.parametrize(("name", "value"), [("PORT", "http"), ("PORT", "70000"), ("LOG_LEVEL", "loud")])
def test_bad_port_or_log_level_names_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", name: value}, dotenv=tmp_path / "none.env")


def test_rxconfig_hands_redis_url_from_dotenv_to_reflex(tmp_path, monkeypatch):
    import rxconfig
    from l2c_app.core import config

    (tmp_path / ".env").write_text("REDIS_URL=redis://from-dotenv:6379/0\n")
    monkeypatch.setattr(config, "PROJECT_DIR", tmp_path)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert rxconfig._redis_url() == "redis://from-dotenv:6379/0"
    monkeypatch.setenv("REDIS_URL", "redis://from-env:6379/0")
    assert rxconfig._redis_url() == "redis://from-env:6379/0"


def test_serve_reads_port_from_settings(monkeypatch):
    from l2c_app import cli

    seen = {}
    monkeypatch.setattr(cli, "get_settings", lambda: type("S", (), {"port": 4555})())
    monkeypatch.setattr(cli, "_migrate_or_fail", lambda: None, raising=False)
    from l2c_app import serving

    monkeypatch.setattr(serving, "supervise", lambda cmd, **kw: seen.setdefault("cmd", cmd) and 0)
    cli.cmd_serve(cli.build_parser().parse_args(["serve", "--no-jobs"]))
    assert "4555" in seen["cmd"]


def test_key_value_lines_quote_what_needs_it():
    assert kv(method="GET", path="/api/health", status=200, ms=1.5) == "method=GET path=/api/health status=200 ms=1.5"
    assert (
        kv(job="invoice reminders", outcome='said "hi"', skip=None) == 'job="invoice reminders" outcome="said \\"hi\\""'
    )


def test_one_log_line_per_request_with_status_and_time_and_no_query(caplog, db_url):
    from l2c_app.api.app import build_api

    client = TestClient(build_api())  # configures l2c's logger (propagate off) first
    with caplog.at_level(logging.INFO, logger="l2c.http"):
        logging.getLogger("l2c").propagate = True  # let caplog see l2c's own handler's records
        try:
            client.get("/api/health?token=secret-token-value")
            client.get("/api/v1/deals")  # 401: no key
        finally:
            logging.getLogger("l2c").propagate = False
    lines = [r.getMessage() for r in caplog.records if r.name == "l2c.http"]
    assert any(line.startswith("method=GET path=/api/health status=200 ms=") for line in lines), lines
    assert any("path=/api/v1/deals status=401" in line for line in lines), lines
    assert not any("secret-token-value" in line for line in lines)  # paths only, never the query string


def test_one_log_line_per_job_run(caplog, db_url):
    from l2c_app import jobs

    with caplog.at_level(logging.INFO, logger="l2c.jobs"):
        logging.getLogger("l2c").propagate = True
        try:
            jobs.run_jobs()
        finally:
            logging.getLogger("l2c").propagate = False
    lines = [r.getMessage() for r in caplog.records if r.name == "l2c.jobs"]
    assert {line.split('"')[1] for line in lines} == set(jobs.JOBS), lines  # every job, by name
    assert all("outcome=" in line and "ms=" in line for line in lines), lines
