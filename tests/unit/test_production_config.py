"""The production topology's configuration: pool budget, nginx routing, deploy/ agreeing with it."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot import settings as bot_settings
from bot.settings import PROJECT_ROOT
from bot.tooling import production
from bot.tooling.production import Plan, check_connection_budget, nginx_config

DEPLOY = PROJECT_ROOT / "deploy"


class FakeConnection:
    """Answers SHOW max_connections / superuser_reserved_connections like PostgreSQL."""

    def __init__(self, max_connections: int, reserved: int = 3) -> None:
        self.values = {"max_connections": max_connections, "superuser_reserved_connections": reserved}

    def execute(self, statement):
        name = str(statement).split()[-1]
        value = self.values[name]
        return type("Result", (), {"scalar": lambda self: str(value)})()


def plan(tmp_path: Path, pool: int = 5, overflow: int = 5) -> Plan:
    settings = replace(bot_settings.load(), database_pool_size=pool, database_max_overflow=overflow)
    return Plan(settings, run_dir=tmp_path)


def test_default_pools_fit_postgres_default_max_connections(tmp_path):
    check_connection_budget(plan(tmp_path), FakeConnection(100))


def test_rasa_default_pools_are_refused_before_anything_starts(tmp_path):
    """Rasa's own default (50 + 100 per replica) would exhaust PostgreSQL under load."""
    with pytest.raises(RuntimeError, match=r"4 processes x .* = 600 connections.*max_connections 100"):
        check_connection_budget(plan(tmp_path, 50, 100), FakeConnection(100))


def test_pool_settings_reach_the_engines(monkeypatch, tmp_path):
    from bot.storage.database import database_url, engine_for, pool_options

    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@127.0.0.1:1/none")
    monkeypatch.setenv("SENDER_HASH_KEY", "a-test-key-that-is-not-the-development-one")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "2")
    settings = bot_settings.load()
    engine = engine_for(settings)  # connects lazily: nothing listens on port 1
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 2)
    engine.dispose()
    sqlite = replace(settings, database_url=f"sqlite:///{tmp_path / 'a.db'}")
    assert "pool_size" not in pool_options(sqlite, database_url(sqlite))


def test_a_sqlite_file_keeps_its_connection_and_serves_other_threads(monkeypatch, tmp_path):
    """make run's SQLite file: one connection kept between sessions (not one opened per session,
    as SQLAlchemy 1.4 would), usable from the worker threads the action server's stores run in."""
    import threading

    from bot.storage.database import engine_for

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    engine = engine_for(bot_settings.load())
    with engine.begin() as connection:
        connection.exec_driver_sql("create table t (x integer)")
        first = connection.connection.dbapi_connection
    answers = []

    def insert_elsewhere():
        with engine.begin() as connection:
            connection.exec_driver_sql("insert into t values (1)")
            answers.append(connection.connection.dbapi_connection)

    worker = threading.Thread(target=insert_elsewhere)
    worker.start()
    worker.join()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from t").scalar() == 1
    assert answers == [first]
    engine.dispose()


def test_production_defaults_to_postgres_redis_and_a_kept_hash_key(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "LOCK_STORE_URL", "SENDER_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = production.production_settings(bot_settings.load(), tmp_path)
    assert settings.database_url.startswith("postgresql://") and settings.lock_store_url.startswith("redis://")
    assert settings.sender_hash_key == (tmp_path / "sender-hash-key").read_text()
    assert len(settings.sender_hash_key) >= 32 and (tmp_path / "sender-hash-key").stat().st_mode & 0o077 == 0
    again = production.production_settings(bot_settings.load(), tmp_path)
    assert again.sender_hash_key == settings.sender_hash_key  # hashes stay comparable across restarts


def test_configured_servers_are_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db.example:5432/clinic")
    monkeypatch.setenv("LOCK_STORE_URL", "redis://cache.example:6379/3")
    monkeypatch.setenv("SENDER_HASH_KEY", "k" * 40)
    settings = production.production_settings(bot_settings.load(), tmp_path)
    assert (settings.database_url, settings.lock_store_url, settings.sender_hash_key) == \
        ("postgresql://bot@db.example:5432/clinic", "redis://cache.example:6379/3", "k" * 40)


def test_credentials_add_the_socketio_channel(tmp_path):
    channels = yaml.safe_load(production.credentials(tmp_path).read_text())
    assert "bot.channels.rest.StrictRestInput" in channels  # REST, with its checks
    socketio = [name for name in channels if "socketio" in name.lower()]
    assert len(socketio) == 1  # one channel on /socket.io/: credentials.yml's own when it has one
    if socketio == ["socketio"]:
        assert channels["socketio"]["session_persistence"] is True


def upstreams(config: str) -> dict:
    """upstream name -> (balancing method, number of servers)."""
    found = {}
    for name, body in re.findall(r"upstream (\w+) \{(.*?)\}", config, re.S):
        method = re.search(r"^\s*(least_conn|ip_hash);", body, re.M)
        found[name] = (method.group(1) if method else "round robin", body.count("server "))
    return found


def test_nginx_routes_rest_freely_socketio_sticky_and_hides_the_api(tmp_path):
    config = nginx_config(plan(tmp_path))
    assert upstreams(config) == {"rasa": ("least_conn", 2), "rasa_sticky": ("ip_hash", 2),
                                 "actions": ("least_conn", 2)}
    public = re.findall(r"location ([=/\w.-]+(?: /)?)", config)
    assert public == ["= /", "/webhooks/", "/socket.io/", "/", "/"]
    assert "location / { return 404; }" in config  # /model, /conversations/...: Rasa's API
    # A POST already sent is never resent (no non_idempotent): no doubled turn.
    assert "proxy_next_upstream error timeout;" in config and "non_idempotent" not in config
    listens = [line.strip() for line in config.splitlines() if line.strip().startswith("listen")]
    assert len(listens) == 2 and all(line.startswith("listen 127.0.0.1:") for line in listens)


def directives(config: str) -> set:
    """Lines that set behaviour, without addresses, paths and comments."""
    kept = set()
    for line in config.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or re.match(r"(server |listen|pid|error_log|user|daemon|worker_processes|\w+_temp_path)", line):
            continue
        kept.add(line)
    return kept


def test_deploy_nginx_matches_the_generated_one(tmp_path):
    generated = nginx_config(plan(tmp_path))
    deployed = (DEPLOY / "nginx.conf").read_text()
    assert directives(deployed) == directives(generated)
    assert upstreams(deployed) == upstreams(generated)


def test_compose_and_kubernetes_agree_with_the_settings():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    replicas = [s for s in services.values() if "rasa" in " ".join(map(str, s.get("command", [])))
                and "run" in s["command"]]
    actions = [s for s in services.values() if "rasa_sdk" in s.get("command", [])]
    assert len(replicas) == 2 and len(actions) == 2
    env = replicas[0]["environment"]
    per_process = int(env["DATABASE_POOL_SIZE"]) + int(env["DATABASE_MAX_OVERFLOW"])
    max_connections = int(services["postgres"]["command"][-1].split("=")[1])
    assert (len(replicas) + len(actions)) * per_process < max_connections - 3
    assert env["LOCK_STORE_URL"].startswith("redis://")
    assert services["nginx"]["ports"] == ["8080:8080"]  # replicas publish nothing
    assert not any("ports" in s for name, s in services.items() if name != "nginx")

    documents = {doc["kind"] + "/" + doc["metadata"]["name"]: doc
                 for doc in yaml.safe_load_all((DEPLOY / "kubernetes" / "assistant.yaml").read_text())}
    settings = documents["ConfigMap/assistant-settings"]["data"]
    assert (settings["DATABASE_POOL_SIZE"], settings["DATABASE_MAX_OVERFLOW"]) == \
        (env["DATABASE_POOL_SIZE"], env["DATABASE_MAX_OVERFLOW"])
    assert documents["Deployment/rasa"]["spec"]["replicas"] == 2
    assert documents["Deployment/action-server"]["spec"]["replicas"] == 2
    ingress = documents["Ingress/assistant"]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    paths = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert paths == ["/webhooks/", "/socket.io/"]
    declared = {env for env, _, _ in bot_settings.declarations()}
    assert set(settings) - {"RASA_TELEMETRY_ENABLED"} <= declared
