"""Cache versions that setup changes bump, so cached choices never outlive the data."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

CHOICES_VERSION_KEY = "choices:version"


def choices_version():
    version = cache.get(CHOICES_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(CHOICES_VERSION_KEY, version, None)
    return version


def bump_choices_version(**kwargs):
    try:
        cache.incr(CHOICES_VERSION_KEY)
    except ValueError:
        cache.set(CHOICES_VERSION_KEY, 2, None)


def connect():
    from .models import AssessmentArea, OrgUnit, ProblemCategory, WorkGroup

    for model in (OrgUnit, AssessmentArea, ProblemCategory, WorkGroup):
        post_save.connect(bump_choices_version, sender=model, dispatch_uid=f"choices-{model.__name__}-save")
        post_delete.connect(bump_choices_version, sender=model, dispatch_uid=f"choices-{model.__name__}-delete")
