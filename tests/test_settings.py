"""Settings read the environment and fail loudly on bad values."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_probe(env, expr):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    clean.update(env)
    code = f"import ledger.settings as s; print({expr})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_start_without_secret_key_fails_loudly(tmp_path):
    result = settings_probe({"DEBUG": "0", "LEDGER_VAR_DIR": str(tmp_path)}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_bad_boolean_fails_loudly(tmp_path):
    result = settings_probe({"DEBUG": "perhaps", "LEDGER_VAR_DIR": str(tmp_path)}, "s.DEBUG")
    assert result.returncode != 0 and "DEBUG='perhaps' is not a boolean" in result.stderr


def test_embedded_defaults(tmp_path):
    result = settings_probe(
        {"DEBUG": "1", "LEDGER_VAR_DIR": str(tmp_path)},
        "s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.TIME_ZONE, s.LANGUAGE_CODE,"
        " s.CACHES['default']['BACKEND']",
    )
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout and "filesystem://" in result.stdout
    assert "Asia/Shanghai" in result.stdout and "zh-hans" in result.stdout
    assert (tmp_path / "broker" / "queue").is_dir()


def test_services_from_the_environment(tmp_path):
    result = settings_probe(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "ledger.example.gov.cn",
            "DATABASE_URL": "postgres://u:p@db.internal:5432/ledger",
            "REDIS_URL": "redis://cache.internal:6379/1",
            "LEDGER_VAR_DIR": str(tmp_path),
        },
        "s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'],"
        " s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "db.internal" in out and "redis://cache.internal:6379/1" in out and "RedisCache" in out
    assert "ledger.example.gov.cn" in out and "True" in out


def test_s3_media_needs_a_bucket(tmp_path):
    result = settings_probe({"DEBUG": "1", "MEDIA_STORAGE": "s3", "LEDGER_VAR_DIR": str(tmp_path)}, "1")
    assert result.returncode != 0 and "S3_BUCKET" in result.stderr
    result = settings_probe(
        {
            "DEBUG": "1",
            "MEDIA_STORAGE": "s3",
            "S3_BUCKET": "photos",
            "S3_ENDPOINT_URL": "http://minio:9000",
            "LEDGER_VAR_DIR": str(tmp_path),
        },
        "s.STORAGES['default']['BACKEND']",
    )
    assert result.returncode == 0 and "S3Storage" in result.stdout


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "ledger.example.gov.cn",
            "LEDGER_VAR_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
