import pytest
from django.db import connection

from campaigns.models import OrgUnit, Role, UnitKind

from .factories import District, UserFactory, member


@pytest.fixture(autouse=True)
def _media_and_celery(settings, tmp_path):
    # Photos go to a throwaway folder; Celery runs tasks inline in unit tests; no test
    # sees another's cached board (ids are reused between tests on SQLite).
    from django.core.cache import cache

    from campaigns.local_cache import local

    cache.clear()
    local.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    from ledger.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


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
