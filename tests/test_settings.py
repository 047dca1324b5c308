"""Settings read the environment and fail loudly on bad values."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent


def settings_probe(env, expr):
    given = {"DATABASE_URL", "REDIS_URL", "DEBUG", "DEMO", "SECRET_KEY", "SITE_URL", "HOST", "PORT", "ALLOWED_HOSTS"}
    clean = {k: v for k, v in os.environ.items() if k not in given}
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


@pytest.mark.parametrize(
    "value",
    [
        "192.168.1.20:8000",  # no scheme: a phone would not know what to open
        "ftp://ledger.example.gov.cn",
        "http://",
        "http://ledger.example.gov.cn:99999",
        "http://ledger.example.gov.cn:port",
        "https://ledger.example.gov.cn/ledger",  # links already carry their path: it would be doubled
        "https://ledger.example.gov.cn/?x=1",
        "https://admin:secret@ledger.example.gov.cn",
        "http://192.168.1.20 :8000",
    ],
)
def test_a_bad_site_url_fails_loudly(tmp_path, value):
    result = settings_probe({"DEMO": "1", "SITE_URL": value, "LEDGER_VAR_DIR": str(tmp_path)}, "s.SITE_URL")
    assert result.returncode != 0
    assert f"SITE_URL={value!r} is not the address of a site" in result.stderr


def test_site_url_as_given_and_its_host_allowed(tmp_path):
    result = settings_probe(
        {"DEMO": "1", "SITE_URL": " http://192.168.1.20:8000/ ", "LEDGER_VAR_DIR": str(tmp_path)},
        "s.SITE_URL, s.ALLOWED_HOSTS",
    )
    assert result.returncode == 0, result.stderr
    # No trailing slash (links are SITE_URL + /p/12/); a phone asking for that host is let in.
    assert result.stdout.split()[0] == "http://192.168.1.20:8000"
    assert "'192.168.1.20'" in result.stdout and "'localhost'" in result.stdout


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8100"}, "http://127.0.0.1:8100"),
        # Listening on every interface is reached here as 127.0.0.1 (the sticker sheet warns).
        ({"HOST": "0.0.0.0", "PORT": "8000"}, "http://127.0.0.1:8000"),
        ({"HOST": "192.168.1.20"}, "http://192.168.1.20:8000"),
        ({"HOST": "::1"}, "http://[::1]:8000"),
    ],
)
def test_in_the_demo_site_url_follows_what_make_run_serves(tmp_path, env, expected):
    result = settings_probe({"DEMO": "1", "LEDGER_VAR_DIR": str(tmp_path), **env}, "s.SITE_URL")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_in_production_without_site_url_there_is_none(tmp_path):
    result = settings_probe(
        {"DEBUG": "0", "SECRET_KEY": "x" * 50, "HOST": "0.0.0.0", "LEDGER_VAR_DIR": str(tmp_path)}, "repr(s.SITE_URL)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "''"


def test_the_demo_is_development_without_djangos_debug_pages(tmp_path):
    result = settings_probe(
        {"DEMO": "1", "LEDGER_VAR_DIR": str(tmp_path)},
        "s.DEBUG, s.DEVELOPMENT, s.WHITENOISE_USE_FINDERS, s.EMAIL_BACKEND, s.ALLOWED_HOSTS",
    )
    assert result.returncode == 0, result.stderr  # no SECRET_KEY needed
    debug, development, finders, *rest = result.stdout.split(maxsplit=3)
    assert (debug, development, finders) == ("False", "True", "True")
    assert "console" in rest[0] and "'127.0.0.1'" in rest[0]


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


def test_collectstatic_builds_the_production_manifest(tmp_path):
    """Production serves static files through WhiteNoise's manifest storage, which refuses a
    file that names one not shipped (a vendored stylesheet's source map did): collectstatic,
    as a deploy runs it, must finish."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "ledger.example.gov.cn",
            "LEDGER_VAR_DIR": str(tmp_path),
            "STATIC_ROOT": str(tmp_path / "static"),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()


@pytest.mark.django_db
def test_demo_accounts_never_reach_production(settings):
    """Published demo passwords are default accounts; production (neither DEMO nor DEBUG) refuses them."""
    from django.contrib.auth import get_user_model

    settings.DEBUG = settings.DEMO = settings.DEVELOPMENT = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="不能装入生产环境"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username="tx_staff").exists()
