"""The system user: who the daily sweeps act as, so their events name an actor like any other."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

SYSTEM_USERNAME = "system"


def system_user() -> User:
    """An inactive account nobody can sign in with (no usable password, not active)."""
    model = get_user_model()
    user, created = model.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "系统", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


HOTLINE_USERNAME = "hotline-12345"


def hotline_user() -> User:
    """The 12345 hotline as a reporter: its tickets name it, like any patrol names its finder.
    Inactive with no usable password, as the system user: nobody signs in as the hotline."""
    model = get_user_model()
    user, created = model.objects.get_or_create(
        username=HOTLINE_USERNAME, defaults={"first_name": "12345热线", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
