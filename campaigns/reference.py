"""Reference data a request validates against — districts, the running campaign, points,
categories, streets — kept in the process under the choices version.

Logging a problem checks a point, a category and a street and needs the district and its
running campaign: five queries of ORM work per request for rows that change a few times a
year. Any change to those tables moves the choices version on (campaigns/signals.py), which
every request reads together with the scope version in one round trip, so what is kept here
is never older than the database. The objects are shared between requests: read them, never
change them.
"""

from campaigns.local_cache import local

KEEP_SECONDS = 600


def choices_version_of(user):
    """The version read with the user's scope (or a fresh read when there is no user)."""
    from campaigns.access import scope_for
    from campaigns.signals import choices_version

    if user is not None and user.is_authenticated:
        scope_for(user)
        version = getattr(user, "_ledger_choices_version", None)
        if version is not None:
            return version
    return choices_version()


def kept(name, version, build):
    """build() once per process and choices version."""
    key = f"ref:{version}:{name}"
    value = local.get(key)
    if value is None:
        value = build()
        local.set(key, value, KEEP_SECONDS)
    return value


def districts(version):
    from campaigns.models import OrgUnit, UnitKind

    return kept("districts", version, lambda: {d.pk: d for d in OrgUnit.objects.filter(kind=UnitKind.DISTRICT)})


def running_campaign(district, version):
    from campaigns.models import Campaign, CampaignStatus

    def build():
        # A tuple: "no running campaign" is worth keeping too.
        return (
            Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING)
            .select_related("district")
            .order_by("-start_date")
            .first(),
        )

    return kept(f"campaign:{district.pk}", version, build)[0]


def by_pk(name, version, queryset):
    """{pk: object} for a choice field's queryset (which must already carry its scoping)."""
    return kept(name, version, lambda: {obj.pk: obj for obj in queryset})
