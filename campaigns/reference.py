"""Reference data a request validates against — districts, the running campaign, points,
categories, streets, finder groups — kept in the cache under the choices version.

Logging a problem checks a point, a category and a street and needs the district and its
running campaign: five queries per request for rows that change a few times a year. Any
change to those tables moves the choices version on (campaigns/signals.py), so what is kept
here is never older than the database. Each request gets its own copies (the cache pickles
them): change them freely.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Model, QuerySet

from campaigns.models import Campaign, CampaignStatus, OrgUnit, UnitKind
from campaigns.signals import choices_version

__all__ = ["KeptRows", "by_pk", "choices_version", "districts", "kept", "running_campaign"]

KEEP_SECONDS = 600

T = TypeVar("T")


def kept(name: str, version: int, build: Callable[[], T]) -> T:
    """build(), kept per choices version; `build` must not return None (wrap it in a tuple)."""
    key = f"ref:{version}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, KEEP_SECONDS)
    return value


def districts(version: int) -> dict[int, OrgUnit]:
    return kept("districts", version, lambda: {d.pk: d for d in OrgUnit.objects.filter(kind=UnitKind.DISTRICT)})


def running_campaign(district: OrgUnit, version: int) -> Campaign | None:
    def build() -> tuple[Campaign | None]:
        # A tuple: "no running campaign" is worth keeping too.
        return (
            Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING)
            .select_related("district")
            .order_by("-start_date")
            .first(),
        )

    return kept(f"campaign:{district.pk}", version, build)[0]


class KeptRows:
    """The rows of a queryset (which must already carry its scoping), looked up one primary
    key at a time and each kept under the choices version."""

    def __init__(self, name: str, version: int, queryset: QuerySet) -> None:
        self.name, self.version, self.queryset = name, version, queryset

    def get(self, pk: int) -> Model | None:
        key = f"ref:{self.version}:{self.name}:{pk}"
        row = cache.get(key)
        if row is None:
            row = self.queryset.filter(pk=pk).first()
            if row is not None:  # a wrong choice is asked of the database each time
                cache.set(key, row, KEEP_SECONDS)
        return row


def by_pk(name: str, version: int, queryset: QuerySet) -> KeptRows:
    """{pk: object}.get for a choice field's queryset, without a query for a kept row."""
    return KeptRows(name, version, queryset)
