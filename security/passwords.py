"""Password rules an assessed government system must enforce (等保 2.0 third level).

Length and common passwords are Django's validators; here: a mix of character classes, no
reuse of the last few passwords, and the record of when a password was last changed.
"""

import string

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import AccountProfile, PasswordHistory

CLASSES = (set(string.ascii_lowercase), set(string.ascii_uppercase), set(string.digits))


def _classes_in(password):
    found = sum(1 for chars in CLASSES if set(password) & chars)
    if any(not ch.isalnum() or not ch.isascii() for ch in password):
        found += 1  # symbols, and anything beyond ASCII letters and digits
    return found


class CharacterClassValidator:
    """At least `classes` of: lower case, upper case, digits, symbols."""

    def __init__(self, classes=3):
        self.classes = classes

    def validate(self, password, user=None):
        if _classes_in(password) < self.classes:
            raise ValidationError(
                _("密码须至少包含大写字母、小写字母、数字、符号中的 %(n)s 类。") % {"n": self.classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("至少包含大写字母、小写字母、数字、符号中的 %(n)s 类。") % {"n": self.classes}


class UsernameValidator:
    """Not the account name inside the password, in any case ("Tx_Admin2026!" for tx_admin).

    Django's similarity validator compares the whole strings and lets a long password that
    merely contains the name through; guessing starts with the name.
    """

    def __init__(self, shortest=3):
        self.shortest = shortest  # a one- or two-letter name would forbid half the alphabet

    def validate(self, password, user=None):
        username = (user.get_username() if user is not None else "") or ""
        if len(username) >= self.shortest and username.casefold() in password.casefold():
            raise ValidationError(
                _("密码不能包含账号名“%(username)s”（不区分大小写）。") % {"username": username},
                code="password_contains_username",
            )

    def get_help_text(self):
        return _("不能包含账号名。")


class HistoryValidator:
    """None of the account's last `remember` passwords (the current one included) again."""

    def __init__(self, remember=5):
        self.remember = remember

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        recent = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-id")
            .values_list("password", flat=True)[: self.remember]
        )
        if user.password and user.password not in recent:
            recent = [user.password, *recent][: self.remember]
        if any(check_password(password, old) for old in recent):
            raise ValidationError(
                ngettext(
                    "不能使用最近用过的密码。",
                    "不能使用最近 %(n)s 次用过的密码。",
                    self.remember,
                )
                % {"n": self.remember},
                code="password_reused",
            )

    def get_help_text(self):
        return _("不能与最近 %(n)s 次的密码相同。") % {"n": self.remember}

    def password_changed(self, password, user=None):
        """Called by Django after a password is set through a form: remember it."""
        if user is None or user.pk is None:
            return
        password_record(user, must_change=False)


def password_record(user, *, must_change):
    """Note a new password: into the history (kept to five), and the change time on the profile."""
    with transaction.atomic():
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = (
            PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True)[5:]
        )
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
        AccountProfile.objects.update_or_create(
            user=user, defaults={"password_changed_at": timezone.now(), "must_change_password": must_change}
        )


def password_expired(profile, now=None):
    if profile is None:
        return False
    if profile.must_change_password:
        return True
    age = (now or timezone.now()) - profile.password_changed_at
    return age.days >= settings.PASSWORD_MAX_AGE_DAYS
