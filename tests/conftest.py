import datetime
import os
import time
import zoneinfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from campaigns.models import OrgUnit, Role, UnitKind

from .factories import District, UserFactory, member

# Hypothesis: derandomized in CI (the same examples every run, so a red build is about the
# change, not the draw); exploratory on a laptop, where new examples are welcome. An example
# that ever failed is kept as an explicit @example on its test.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
# The instant every test starts at unless it travels somewhere itself: a Friday morning, a
# working day, before the daily-report cutoff. `LEDGER_TEST_CLOCK=process` starts each test
# at the process clock instead — `make test-clocks` moves that clock with libfaketime to the
# dates that break calendars (a year the holiday package does not know, the first hour of a
# month, a 调休 Saturday, a Sunday inside Golden Week).
SUITE_NOW = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=BEIJING)


def suite_start():
    if os.environ.get("LEDGER_TEST_CLOCK") == "process":
        return time.time()
    return SUITE_NOW


@pytest.fixture(autouse=True)
def _clock(request):
    """Every test runs on a known clock (ticking, so durations still pass).

    Browser journeys keep the real clock: Chromium keeps its own, and a session cookie
    minted on another day would look expired to it. Tests that talk to another process
    (a real Celery worker) are marked `real_clock` for the same reason.
    """
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(suite_start(), tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media_and_celery(settings, tmp_path):
    # Photos go to a throwaway folder; Celery runs tasks inline in unit tests; no test
    # sees another's cached board (ids are reused between tests on SQLite).
    from django.core.cache import cache

    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    from ledger.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    # A request that switched language leaves it active in the thread; work done outside a
    # request (reminders, summaries) must not inherit the previous test's.
    translation.deactivate_all()
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
    app.conf.task_always_eager = False


# What Django's debug 404 page says while it lists every URL pattern of the project. No page of
# the ledger may ever show that (issue 16: the demo did, for a refused ticket).
URLCONF_LISTING = (b"URLconf defined in", b"Django tried these URL patterns", b"DEBUG = True")


def lists_url_patterns(content):
    return any(marker in content for marker in URLCONF_LISTING)


class LedgerClient(Client):
    """Django's test client; a response listing the URL patterns fails the test that got it."""

    def request(self, **request):
        response = super().request(**request)
        if not response.streaming and lists_url_patterns(response.content):
            pytest.fail(f"{request.get('PATH_INFO')} answered with Django's debug page listing the URL patterns")
        return response


@pytest.fixture
def client():
    return LedgerClient()


@pytest.fixture
def city(db):
    return OrgUnit.objects.create(name="四平市", kind=UnitKind.CITY, code="SP")


@pytest.fixture
def tx(city):
    """铁西区 and its people: staff, unit liaison, two supervisors, admin, leader."""
    return District(city, "铁西区", "TX", "tx")


@pytest.fixture
def td(city):
    """铁东区: the outsider district in the same city."""
    return District(city, "铁东区", "TD", "td")


@pytest.fixture
def city_admin(city):
    return member(UserFactory(username="city_admin"), city, Role.ADMIN)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def duties(tx):
    """铁西区's reporting duty: its first street and its first finder group report daily."""
    import datetime

    from campaigns.models import ReportingDuty, ReportSchedule

    schedule = ReportSchedule.objects.create(campaign=tx.campaign)
    street = ReportingDuty.objects.create(campaign=tx.campaign, unit=tx.street, since=datetime.date(2026, 1, 1))
    group = ReportingDuty.objects.create(
        campaign=tx.campaign, work_group=tx.finder_group, since=datetime.date(2026, 1, 1)
    )
    return type("Duties", (), {"schedule": schedule, "street": street, "group": group})
