"""The access matrix: every URL of the project × every kind of person × own and other district.

The URL patterns are read from the URLconf when the tests are collected: a view added
without a row in RULES (or, under admin/, outside the admin family rule) fails here, by name.

Actors
  anonymous; 铁西区 (tx) staff, unit_liaison, supervisor, admin, leader; the city admin of
  四平市, whose reach is both districts; and two holders of a system duty without any
  district (security_admin, audit_admin), who must find no ledger data at all.
Scopes
  "own" fills the URL from tx's objects, "other" from 铁东区 (td)'s objects, "mixed" pairs a
  tx parent with a td child (e.g. tx's campaign with td's checklist import).

Besides its status, every answer is held to these invariants:
- anonymous people are sent to the login page with ?next= (the admin's own login under admin/);
- a refused request (4xx, or a 302 to a login page) changes no row of the database;
- a GET changes nothing, unless its rule says the page writes when read;
- a tx person never changes a row that is td's, and never receives td's name or ledger
  numbers (pages, CSV, Excel); people without a district receive neither district's.
Audit-log rows are written on purpose for refused and read-only acts, and are not counted.
Each request runs in a savepoint that is rolled back, so every actor meets the same world,
which is built once for the module.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlencode

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaigns.admin import DistrictScopedAdmin, ReadOnlyAdmin
from campaigns.models import Ticket

from .access_world import (
    ACTORS,
    ADMINS,
    ANON,
    AUDIT,
    CITY_ADMIN,
    DUTY_HOLDERS,
    EVERYONE,
    FIXERS,
    MANAGERS,
    OVERSEERS,
    SECURITY,
    STREET,
    TX_ROLES,
    WORKERS,
    ask,
    resolve_kwargs,
    world_built,
)

# Every test here uses the database; this also makes pytest-django set up the test database
# when only the table check is selected (the world fixture would otherwise see the real one).
pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------
# The expectation table
# ---------------------------------------------------------------------------------------

LOGIN = "302 → /accounts/login/"
ADMIN_LOGIN = "302 → /admin/login/"
POST_ONLY = 405
SKIP = None


@dataclass(frozen=True)
class Case:
    """One more URL for the same name, with its own expectations (GET, tx objects)."""

    label: str
    kw: dict
    expect: dict  # who → status; every other district member gets `default`
    default: int = 404


@dataclass(frozen=True)
class Rule:
    """What one URL name answers.

    `allowed` actors get `get` (and `post` for an empty POST, when set); a member of tx
    outside `allowed` gets `denied` on tx objects; a tx person gets `other` on td objects.
    The city admin reaches both districts, so td objects answer it as tx ones do unless
    `city_other` says otherwise. Duty holders without a district are outsiders: `other` on
    any district's object, `outsider` on pages without one. `system` rules (the security
    and audit pages) ignore districts: `allowed` decides everywhere.
    """

    allowed: frozenset
    get: object = 200  # a status, a tuple of acceptable ones, or {who: status}
    post: object = None  # None: POST is not exercised
    denied: int = 403
    other: int = 404
    outsider: object = None  # a page without district objects, for a duty holder (None: see expected_status)
    kw: dict = field(default_factory=dict)  # url kwarg → Side attribute name, or callable(side, who)
    query: dict = field(default_factory=dict)  # query-string param → Side attribute name
    mixed: tuple = ()  # kwargs taken from td while the rest come from tx
    public: bool = False  # anonymous is answered like everyone else
    system: bool = False
    anonymous_get: object = LOGIN
    city_other: object = None
    redirects: dict = field(default_factory=dict)  # who → start of Location for an allowed 302
    get_writes: bool = False
    also: tuple = ()

    @property
    def scoped(self):
        """Filled from a district's objects (not only constants): asked on tx's and on td's."""
        return any(isinstance(v, str) for v in (*self.kw.values(), *self.query.values())) and not self.public


RULE_OPTIONS = {
    "denied",
    "other",
    "outsider",
    "kw",
    "query",
    "mixed",
    "system",
    "anonymous_get",
    "city_other",
    "redirects",
    "get_writes",
    "also",
}


def _rule(allowed, get, post, options, public=False):
    """Options named like a Rule field set it; any other keyword is a URL kwarg → Side attribute."""
    kw = dict(options.pop("kw", {}))
    kw.update({key: options.pop(key) for key in list(options) if key not in RULE_OPTIONS})
    return Rule(frozenset(allowed), get=get, post=post, kw=kw, public=public, **options)


def page(allowed, ok=200, **options):
    """A page read with GET."""
    return _rule(allowed, ok, None, options)


def action(allowed, ok, **options):
    """A POST-only act: GET is 405 for anyone logged in; an empty POST gives `ok` when allowed."""
    return _rule(allowed, POST_ONLY, ok, options)


def form(allowed, post, ok=200, **options):
    """A page with a form posted back to itself."""
    return _rule(allowed, ok, post, options)


def public(ok=200, post=None, **options):
    """Open to everyone, anonymous included."""
    return _rule(EVERYONE | set(DUTY_HOLDERS), ok, post, options, public=True)


def const(value):
    return lambda side, who: value


PENDING_PHOTO = Case("photo not yet on a ticket: its uploader only", {"pk": "pending_photo"}, {"staff": 200})

RULES = {
    # --- landing pages and boards ----------------------------------------------------------
    "campaigns:home": page(
        EVERYONE,
        302,
        outsider=200,  # "your account has no unit yet"
        redirects={
            "staff": "/my/",
            "unit_liaison": "/my/",
            "supervisor": "/board/",
            "admin": "/board/",
            "leader": "/board/",
            "city_admin": "/city/",
        },
    ),
    "campaigns:board-default": page(EVERYONE, 302, outsider=404, redirects=dict.fromkeys(EVERYONE, "/board/TX/")),
    "campaigns:board": page(EVERYONE, code="code"),
    "campaigns:board-wall": page(EVERYONE, code="code"),
    "campaigns:city": page({"city_admin"}),
    "campaigns:my-tasks": page(EVERYONE),
    "campaigns:ping": page(EVERYONE),
    # --- rankings, notices (通报) and monthly summaries -------------------------------------
    "campaigns:rankings": page(OVERSEERS, code="code"),
    "campaigns:notice-draft": action(ADMINS, 302, code="code"),
    "campaigns:notice-print": page(OVERSEERS, pk="notice"),
    "campaigns:notice-edit": form(ADMINS, post=400, pk="notice"),  # an empty POST: what is missing
    "campaigns:summaries": page(OVERSEERS, code="code"),
    "campaigns:summary-create": action(ADMINS, 302, code="code"),  # no month: back to the list
    "campaigns:summary": page(OVERSEERS, pk="summary"),
    "campaigns:summary-progress": page(OVERSEERS, pk="summary"),
    "campaigns:summary-download": page(OVERSEERS, pk="summary"),
    # --- the ledger -------------------------------------------------------------------------
    "campaigns:ticket-list": page(EVERYONE),
    "campaigns:ticket-log": form(WORKERS, post=400, query={"district": "code"}),
    "campaigns:ticket-export": page(
        EVERYONE,
        fmt=const("csv"),
        also=(
            Case("xlsx", {"fmt": const("xlsx")}, {}, default=200),
            Case("unknown format", {"fmt": const("pdf")}, {}, default=404),
        ),
    ),
    "campaigns:ticket-detail": page(EVERYONE, number="reported"),
    "campaigns:ticket-assign": action(MANAGERS, 400, number="reported"),
    "campaigns:ticket-sign": action(FIXERS, 302, number="assigned"),  # the note is optional
    "campaigns:ticket-submit-fix": action(FIXERS, 400, number="rectifying"),
    # 退单 is the unit's own word: nobody says it for them. Empty forms: what is missing.
    "campaigns:ticket-decline": action(FIXERS - MANAGERS, 400, number="assigned"),
    "campaigns:ticket-reassign": action(MANAGERS, 400, number="rectifying"),
    "campaigns:ticket-urge": action(MANAGERS, 400, number="rectifying"),
    "campaigns:ticket-close-out": action(MANAGERS, 302, number="submitted"),  # the note is optional
    "campaigns:ticket-return": action(MANAGERS, 400, number="submitted"),
    "campaigns:ticket-reopen": action(MANAGERS, 400, number="closed"),
    "campaigns:ticket-void": action(MANAGERS, 400, number="reported"),
    # 申请延期 is the unit's own (never on its behalf); the liaison's empty form is incomplete.
    "campaigns:ticket-ext-request": action({"unit_liaison"}, 400, number="rectifying"),
    # Nothing is waiting for an answer on the rectifying ticket: a manager's empty form is refused.
    "campaigns:ticket-ext-approve": action(MANAGERS, 409, number="rectifying"),
    "campaigns:ticket-ext-reject": action(MANAGERS, 400, number="rectifying"),
    "campaigns:ticket-hold": action(MANAGERS, 400, number="rectifying"),
    "campaigns:ticket-resume": action(MANAGERS, 302, number="on_hold"),  # the note is optional
    "campaigns:ticket-supervise": action(MANAGERS, 400, number="reported"),
    "campaigns:ticket-supervision": page(EVERYONE, number="on_hold"),
    # 复核 of a one-level chain: the last level 销号s instead (refused, 409); nobody else may.
    "campaigns:ticket-review": action(MANAGERS, 409, number="submitted"),
    "campaigns:ticket-submit-part": action(STREET, 400, number="helped"),  # staff's street is the 协办单位
    "campaigns:ticket-waive-part": action(MANAGERS, 400, number="helped"),
    # 复查 of today's 销号 is not due yet (409); the street's staff and the managers may 复查.
    "campaigns:ticket-recheck-kept": action(MANAGERS | STREET, 409, number="closed"),
    "campaigns:ticket-recheck-relapse": action(MANAGERS | STREET, 400, number="closed"),
    "campaigns:photo": page(EVERYONE, pk="photo", also=(PENDING_PHOTO,)),
    "campaigns:photo-thumb": page(EVERYONE, pk="photo", also=(PENDING_PHOTO,)),
    # --- checklist and scoring --------------------------------------------------------------
    "campaigns:checklist-default": page(EVERYONE, 302, outsider=404),
    "campaigns:checklist-mine": page(EVERYONE),
    "campaigns:checklist": page(EVERYONE, campaign_id="campaign"),
    "campaigns:checklist-item": page(EVERYONE, pk="item"),
    "campaigns:checklist-item-update": action(FIXERS, 400, pk="item"),  # nothing to save
    "campaigns:evidence": page(EVERYONE, pk="evidence"),
    "campaigns:evidence-thumb": page(EVERYONE, pk="evidence"),
    "campaigns:checklist-template": page(ADMINS, campaign_id="campaign"),
    "campaigns:checklist-import": form(ADMINS, post=400, campaign_id="campaign"),
    "campaigns:checklist-import-show": page(
        ADMINS,
        campaign_id="campaign",
        import_id="checklist_import",
        mixed=("import_id",),
        get_writes=True,  # re-reads the kept file and records its row and error counts
    ),
    "campaigns:checklist-import-confirm": action(
        ADMINS, 302, campaign_id="campaign", import_id="checklist_import", mixed=("import_id",)
    ),
    "campaigns:checklist-apply-standard": action(ADMINS, 302, campaign_id="campaign"),
    # --- inspection points (点位), their import, QR codes and stickers ----------------------
    "campaigns:points": page(OVERSEERS, code="code"),
    "campaigns:point-create": form(ADMINS, post=400, code="code"),  # an empty POST: what is missing
    "campaigns:point-edit": form(ADMINS, post=400, pk="point"),
    "campaigns:point-deactivate": action(ADMINS, 302, pk="point"),
    "campaigns:point-activate": action(ADMINS, 302, pk="point"),
    "campaigns:point-qr": page(EVERYONE, pk="point"),
    "campaigns:point-stickers": page(ADMINS, code="code"),
    "campaigns:point-template": page(ADMINS, code="code"),
    "campaigns:point-import": form(ADMINS, post=400, code="code"),
    "campaigns:point-import-show": page(
        ADMINS,
        code="code",
        import_id="point_import",
        mixed=("import_id",),
        get_writes=True,  # re-reads the kept file and records its row and error counts
    ),
    "campaigns:point-import-confirm": action(ADMINS, 302, code="code", import_id="point_import", mixed=("import_id",)),
    # Scanning a sticker: on to the log form for those who log; a leader is told why not.
    "campaigns:point-scan": page(WORKERS, 302, pk="point", redirects=dict.fromkeys(WORKERS, "/tickets/new/?point=")),
    "campaigns:scoring-sheet": page(EVERYONE, campaign_id="campaign"),
    "campaigns:scoring-area": page(EVERYONE, campaign_id="campaign", area_code="area_code"),
    "campaigns:scoring-export": page(EVERYONE, campaign_id="campaign"),
    # --- daily reports ----------------------------------------------------------------------
    "campaigns:reports-mine": page(EVERYONE),
    "campaigns:report-submit": action(STREET, 302, duty_id="duty"),
    "campaigns:report-history": page(STREET | OVERSEERS, duty_id="duty"),
    "campaigns:reports-today": page(OVERSEERS, campaign_id="campaign"),
    # --- notifications and deliveries -------------------------------------------------------
    "campaigns:notifications": page(EVERYONE),
    # "own" is the actor's own notification; on td it is td staff's: nobody else opens it.
    "campaigns:notification-open": action(EVERYONE, 302, pk="notification", city_other=404),
    "campaigns:notifications-read-all": action(EVERYONE, 302),
    "campaigns:deliveries": page(ADMINS),
    # Deliveries are looked up among the districts one administers: others get 404.
    "campaigns:delivery-retry": action(ADMINS, 302, denied=404, pk="delivery"),
    # --- signing in: django.contrib.auth.urls, the ledger's own account pages, i18n ---------
    "login": public(200, post=200),  # an empty POST is the form with its errors
    "logout": public(405, post=302),  # POST only, for anyone
    "language": public(405, post=302),  # POST only: an unknown language is refused with a message
    "password_change": form(EVERYONE | set(DUTY_HOLDERS), post=200),
    "password_change_done": page(EVERYONE | set(DUTY_HOLDERS)),
    "password_reset": public(200, post=200),
    "password_reset_done": public(200),
    "password_reset_confirm": public(200, uidb64=const("MQ"), token=const("set-password")),
    "password_reset_complete": public(200),
    "second-factor": form(EVERYONE | set(DUTY_HOLDERS), post=302, ok=302),  # no device yet: to setup
    "second-factor-setup": form(EVERYONE | set(DUTY_HOLDERS), post=200, get_writes=True),  # a pending device
    "set_language": public(302, post=302),
    "healthz": public((200, 503)),  # 503 while no worker has beaten
    # --- the security admin (accounts, roles) and the audit admin: no district involved -----
    # --- the 节假日安排: read by every district member, kept by a city office's admin -------
    "campaigns:holidays": page(EVERYONE, system=True),
    "campaigns:holiday-year": page(EVERYONE, system=True, year="holiday_year"),
    "campaigns:holiday-year-save": action(CITY_ADMIN, 400, system=True, year="holiday_year"),  # nothing typed
    "campaigns:holiday-template": page(CITY_ADMIN, system=True, year="holiday_year"),
    "campaigns:holiday-import": form(CITY_ADMIN, post=400, system=True, year="holiday_year"),
    "campaigns:holiday-import-show": page(
        CITY_ADMIN,
        system=True,
        year="holiday_year",
        import_id="holiday_import",
        mixed=("import_id",),
        get_writes=True,  # re-reads the kept file and records its row and error counts
    ),
    "campaigns:holiday-import-confirm": action(
        CITY_ADMIN, 302, system=True, year="holiday_year", import_id="holiday_import", mixed=("import_id",)
    ),
    "security-accounts": page(SECURITY, system=True),
    "security-account-new": form(SECURITY, post=200, system=True),
    "security-account": form(SECURITY, post=200, system=True, pk="account"),
    "security-account-reset-password": action(
        SECURITY, 200, system=True, anonymous_get=405, pk="account"
    ),  # shows the temporary password once
    "security-account-unlock": action(SECURITY, 302, system=True, anonymous_get=405, pk="account"),
    "security-account-second-factor-reset": action(SECURITY, 302, system=True, anonymous_get=405, pk="account"),
    "security-membership-add": action(SECURITY, 302, system=True, anonymous_get=405, pk="account"),
    "security-membership-remove": action(
        SECURITY,
        302,
        system=True,
        anonymous_get=405,
        pk="account",
        membership_id="membership",
        mixed=("membership_id",),  # a membership of another account
    ),
    "security-second-factor": form(SECURITY, post=302, system=True),
    "security-audit": page(AUDIT, system=True),
    "security-audit-export": page(AUDIT, system=True),
    # --- setting up a district without the Django admin: its admins and its city's ----------
    "campaigns:setup": page(ADMINS, code="code"),
    "campaigns:setup-units": page(ADMINS, code="code"),
    "campaigns:setup-unit-new": form(ADMINS, post=400, code="code"),
    "campaigns:setup-unit": form(ADMINS, post=400, code="code", pk="unit", mixed=("pk",)),
    "campaigns:setup-unit-active": action(ADMINS, 302, code="code", pk="unit", mixed=("pk",)),  # deactivates
    "campaigns:setup-units-template": page(ADMINS, code="code"),
    "campaigns:setup-units-import": form(ADMINS, post=400, code="code"),
    "campaigns:setup-units-import-show": page(
        ADMINS, code="code", import_id="units_import", mixed=("import_id",), get_writes=True
    ),
    "campaigns:setup-units-import-confirm": action(
        ADMINS, 302, code="code", import_id="units_import", mixed=("import_id",)
    ),
    "campaigns:setup-people": page(ADMINS, code="code"),
    "campaigns:setup-person-new": form(ADMINS, post=400, code="code"),
    "campaigns:setup-person": page(ADMINS, code="code", pk="account", mixed=("pk",)),
    "campaigns:setup-person-role-add": action(ADMINS, 400, code="code", pk="account", mixed=("pk",)),
    "campaigns:setup-person-role-remove": action(
        ADMINS, 302, code="code", pk="account", membership_id="membership", mixed=("pk", "membership_id")
    ),
    "campaigns:setup-people-template": page(ADMINS, code="code"),
    "campaigns:setup-people-import": form(ADMINS, post=400, code="code"),
    "campaigns:setup-people-import-show": page(
        ADMINS, code="code", import_id="people_import", mixed=("import_id",), get_writes=True
    ),
    # Makes the file's account and shows its one-time password on the answer itself.
    "campaigns:setup-people-import-confirm": action(
        ADMINS, 200, code="code", import_id="people_import", mixed=("import_id",)
    ),
    # The passwords wait only in the session of the admin who imported: none here, so 410.
    "campaigns:setup-people-passwords": action(
        ADMINS, 410, code="code", import_id="people_import", mixed=("import_id",)
    ),
    "campaigns:setup-groups": page(ADMINS, code="code"),
    "campaigns:setup-group-new": form(ADMINS, post=400, code="code"),
    "campaigns:setup-group": form(ADMINS, post=400, code="code", pk="work_group", mixed=("pk",)),
    "campaigns:setup-campaign-new": form(ADMINS, post=400, code="code"),
    "campaigns:setup-campaign": form(ADMINS, post=400, code="code", pk="campaign", mixed=("pk",)),
    # 销号 levels: an empty form is sent back with what is missing; no such level is gone already.
    "campaigns:setup-level-add": action(ADMINS, 302, code="code", pk="campaign", mixed=("pk",)),
    "campaigns:setup-level-remove": action(
        ADMINS, 302, code="code", pk="campaign", level_id=const(999999), mixed=("pk",)
    ),
}

# Under admin/, patterns come in families (see test_admin_access for the rule of each).
ADMIN_SITE_NAMES = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
}
ADMIN_MODEL_NAME = re.compile(
    r"^admin:(?P<app>\w+?)_(?P<model>[a-z0-9]+)_(?P<view>changelist|add|history|delete|change)$"
)
ADMIN_OBJECT_REDIRECT = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/$")
ADMIN_EXTRA = {"admin:auth_user_password_change": ("auth", "user", "password")}
ADMIN_CATCH_ALL = "admin/(?P<url>.*)$"

# ---------------------------------------------------------------------------------------
# Reading the URLconf
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    key: str  # "namespace:name", or the route of an unnamed pattern
    route: str
    named: bool


def url_entries():
    entries = []

    def walk(patterns, prefix, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                more = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
                walk(pattern.url_patterns, prefix + str(pattern.pattern), more)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if pattern.name:
                    entries.append(Entry(":".join((*namespaces, pattern.name)), route, True))
                else:
                    entries.append(Entry(route, route, False))

    walk(get_resolver().url_patterns, "", ())
    return entries


ENTRIES = url_entries()
ADMIN_ENTRIES = [e for e in ENTRIES if e.route.startswith("admin/")]
APP_ENTRIES = [e for e in ENTRIES if not e.route.startswith("admin/")]
# A name may be defined twice (the ledger's login page before Django's): reverse() and the
# resolver use the first, which is the one that answers.
APP_NAMES = sorted({e.key for e in APP_ENTRIES})


def admin_family(entry):
    """(family, app_label, model_name, view) for an admin pattern, or None if no rule covers it."""
    if entry.key in ADMIN_SITE_NAMES:
        return ("site", None, None, entry.key.split(":", 1)[1])
    if entry.key in ADMIN_EXTRA:
        app, model, view = ADMIN_EXTRA[entry.key]
        return ("model", app, model, view)
    if entry.route == ADMIN_CATCH_ALL:
        return ("site", None, None, "catch_all")
    match = ADMIN_MODEL_NAME.match(entry.key) if entry.named else ADMIN_OBJECT_REDIRECT.match(entry.route)
    if match is None:
        return None
    return ("model", match["app"], match["model"], match.groupdict().get("view", "object_redirect"))


# ---------------------------------------------------------------------------------------
# The world (tests/access_world.py), built once for the module
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Both districts, built once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), world_built(str(tmp_path_factory.mktemp("matrix-media"))) as built:
        yield built


@pytest.fixture(autouse=True)
def _world_media(_media_and_celery, settings, world):
    # conftest gives each test an empty media folder; the world's files live in their own.
    settings.MEDIA_ROOT = world.media_root


# ---------------------------------------------------------------------------------------
# Checking an answer
# ---------------------------------------------------------------------------------------


def forbidden_markers(world, who, system=False):
    """What this person must never receive: td's data for tx people, anyone's for outsiders
    (except on the security and audit pages, which are about every district's accounts)."""
    if who in TX_ROLES:
        return world.td.markers
    if who in DUTY_HOLDERS and not system:
        return world.tx.markers + world.td.markers
    return ()


def check(problems, label, answer, expected, url, *, world, who, method, get_writes=False, start=None, system=False):
    """Compare one answer with its expectation and with the invariants; note every problem."""
    where = f"{label}: {who} {method} {url}"
    got = f"{answer.status} {answer.location}".rstrip()
    if expected in (LOGIN, ADMIN_LOGIN):
        login = "/accounts/login/" if expected == LOGIN else "/admin/login/"
        prefix = f"{login}?next="
        if not (answer.status == 302 and answer.location.startswith(prefix)):
            problems.append(f"{where}: expected {expected}, got {got}")
        elif unquote(answer.location[len(prefix) :]) != url:
            problems.append(f"{where}: the login page would not come back here: {answer.location}")
    elif answer.status not in (expected if isinstance(expected, tuple) else (expected,)):
        problems.append(f"{where}: expected {expected}, got {got}")
    elif start and answer.status == 302 and not answer.location.startswith(start):
        problems.append(f"{where}: expected a redirect to {start}…, got {answer.location}")
    refused = answer.status >= 400 or expected in (LOGIN, ADMIN_LOGIN)
    if refused and answer.changed:
        problems.append(f"{where}: refused with {answer.status} but changed {sorted(answer.changed)[:5]}")
    elif method == "GET" and not get_writes and answer.changed:
        problems.append(f"{where}: a GET changed {sorted(answer.changed)[:5]}")
    if who in TX_ROLES and answer.changed & world.td_rows:
        problems.append(f"{where}: a tx person changed td rows {sorted(answer.changed & world.td_rows)[:5]}")
    seen = [marker for marker in forbidden_markers(world, who, system) if marker in answer.text]
    if seen:
        problems.append(f"{where}: another district's data in the answer: {seen}")
    if answer.file_cache and not kept_off_shared_pcs(*answer.file_cache):
        problems.append(f"{where}: a file sent with {answer.file_cache!r}")


def kept_off_shared_pcs(disposition, cache_control):
    """A download is never stored by the browser (an office PC is shared); a picture shown in
    the page (photos, a point's QR code) is cached privately at most."""
    directives = {part.strip().split("=")[0] for part in cache_control.split(",")}
    if disposition.startswith("attachment"):
        return "no-store" in directives
    return bool(directives & {"no-store", "private"})


def expected_status(rule, who, scope, method):
    if who == ANON and not rule.public:
        return rule.anonymous_get if method == "GET" else LOGIN
    if method == "GET" and rule.get == POST_ONLY:
        return POST_ONLY
    ok = rule.get if method == "GET" else rule.post
    if isinstance(ok, dict):
        ok = ok[who]
    allowed = who in rule.allowed or rule.public
    if rule.system:  # no district involved: the same answer for tx's and td's objects
        if scope == "mixed":
            return 404 if allowed else rule.denied
        return ok if allowed else rule.denied
    if who in DUTY_HOLDERS:  # no district: every district's object is another district's
        if rule.scoped:
            return rule.other
        if rule.outsider is not None:
            return rule.outsider
        return ok if EVERYONE <= rule.allowed else rule.denied  # open to all members, or refused
    if scope == "own":
        return ok if allowed else rule.denied
    if scope == "mixed":
        return rule.other if allowed else rule.denied
    if who == "city_admin":  # td is in the city admin's reach too
        if rule.city_other is not None:
            return rule.city_other
        return ok if allowed else rule.denied
    return rule.other


def plan(rule, who):
    """The (scope, method) pairs worth asking this actor; the rest would repeat an answer."""
    scopes = ["own"]
    if rule.scoped and who != ANON:
        scopes.append("other")
        if rule.mixed:
            scopes.append("mixed")
    if who in DUTY_HOLDERS and not rule.system and rule.scoped:
        scopes = ["own"]  # tx and td are alike to them
    for scope in scopes:
        if rule.get != POST_ONLY or scope == "own":
            yield scope, "GET"
        if rule.post is not None:
            yield scope, "POST"


# ---------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------


def test_every_url_pattern_has_a_rule():
    missing = [e.key for e in APP_ENTRIES if e.key not in RULES]
    missing += [e.key for e in ADMIN_ENTRIES if admin_family(e) is None]
    assert not missing, f"URL patterns without a row in the access matrix (add them to RULES): {missing}"
    stale = sorted(set(RULES) - set(APP_NAMES))
    assert not stale, f"rows in RULES for URL names that no longer exist: {stale}"


@pytest.mark.parametrize("name", APP_NAMES)
def test_url_access(world, name):
    rule = RULES.get(name)
    if rule is None:
        pytest.fail(f"{name} has no row in RULES: decide who may use it and add one")
    problems = []
    for who in ACTORS:
        client = world.clients[who]
        for scope, method in plan(rule, who):
            side = world.td if scope == "other" else world.tx
            kwargs = resolve_kwargs(rule.kw, side, who)
            if scope == "mixed":
                kwargs.update(resolve_kwargs({k: rule.kw[k] for k in rule.mixed}, world.td, who))
            url = reverse(name, kwargs=kwargs)
            if rule.query:
                url += "?" + urlencode(resolve_kwargs(rule.query, side, who))
            expected = expected_status(rule, who, scope, method)
            check(
                problems,
                f"{name} ({scope})",
                ask(client, method, url),
                expected,
                url,
                world=world,
                who=who,
                method=method,
                get_writes=rule.get_writes,
                start=rule.redirects.get(who) if expected == 302 else None,
                system=rule.system,
            )
        for case in rule.also:
            url = reverse(name, kwargs=resolve_kwargs({**rule.kw, **case.kw}, world.tx, who))
            if who == ANON:
                expected = LOGIN
            elif who in DUTY_HOLDERS:  # outsiders: any district's object is another's
                by_object = any(isinstance(v, str) for v in case.kw.values())
                expected = rule.other if by_object else case.default
            else:
                expected = case.expect.get(who, case.default)
            check(
                problems,
                f"{name} [{case.label}]",
                ask(client, "GET", url),
                expected,
                url,
                world=world,
                who=who,
                method="GET",
            )
    assert not problems, "\n".join(problems)


# --- the Django admin -------------------------------------------------------------------------
#
# Family rule. Everyone without is_staff (anonymous, and every role above as it stands) is
# sent to the admin's login page from every admin URL; that login page itself answers 200.
# With is_staff set:
# - a district admin ("admin+staff") uses the site pages and, for a model under a
#   DistrictScopedAdmin, its changelist, add page and their own district's objects; another
#   district's object "does not exist" (302 back to the admin index) and a POST to its
#   change or delete page changes nothing. Read-only models (tickets, photos, daily reports,
#   deliveries) refuse add and delete with 403. Models outside the district scheme (users,
#   groups, point types) need Django model permissions nobody here was given: 403.
# - a supervisor with is_staff ("supervisor+staff") administers no district: 403 on models.
# - the city admin with is_staff ("city_admin+staff") administers both districts.

STAFFED = ("admin", "supervisor", "city_admin")
NOT_STAFF = (ANON, "admin", "city_admin", "security_admin")  # the most powerful without is_staff
SITE_PAGES = {  # view → status for anyone with is_staff
    "index": 200,
    "login": 302,  # signed in already: on to the index
    "logout": 405,  # POST only
    "password_change": 200,
    "password_change_done": 200,
    "autocomplete": 403,  # without its query parameters
    "jsi18n": 200,
    "view_on_site": 404,  # no model has get_absolute_url
    "catch_all": 404,
}


def admin_url(entry, family, world, side):
    kind, app, model, view = family
    if kind == "site":
        if view == "app_list":
            return reverse("admin:app_list", kwargs={"app_label": "campaigns"})
        if view == "view_on_site":
            from django.contrib.contenttypes.models import ContentType

            content_type = ContentType.objects.get_for_model(Ticket).pk
            return reverse("admin:view_on_site", args=[content_type, side.admin_objects[Ticket]])
        if view == "catch_all":
            return "/admin/no-such-page/"
        return reverse(entry.key)
    if view in ("changelist", "add"):
        return reverse(entry.key)
    pk = side.admin_objects[apps.get_model(app, model)]
    if view == "object_redirect":
        return f"/admin/{app}/{model}/{pk}/"
    return reverse(entry.key, args=[pk])


def admin_expectation(family, who, scope):
    kind, app, model, view = family
    if kind == "site":
        if view == "app_list":
            return 200 if who in ADMINS else 404
        return SITE_PAGES[view]
    if view == "object_redirect":
        return 302  # on to the change page, which decides
    model_admin = django_admin.site._registry[apps.get_model(app, model)]
    if not isinstance(model_admin, DistrictScopedAdmin) or who not in ADMINS:
        return 403
    if isinstance(model_admin, ReadOnlyAdmin) and view in ("add", "delete"):
        return 403
    if scope == "other" and who != "city_admin" and view not in ("changelist", "add"):
        return 302  # "does not exist": back to the index
    return 200


def test_every_admin_model_has_objects_to_try(world):
    """The admin families need one object of each model per district; a new model must add one."""
    missing = [m._meta.label for m in django_admin.site._registry if m not in world.tx.admin_objects]
    assert not missing, f"registered in the admin, without objects in build_side(): {missing}"


@pytest.mark.parametrize("key", [e.key for e in ADMIN_ENTRIES])
def test_admin_access(world, key):
    entry = next(e for e in ADMIN_ENTRIES if e.key == key)
    family = admin_family(entry)
    if family is None:
        pytest.fail(f"{key} matches no admin family rule: extend admin_family() and admin_expectation()")
    kind, _app, _model, view = family
    scopes = ["own", "other"] if kind == "model" and view not in ("changelist", "add") else ["own"]
    problems = []
    for who in NOT_STAFF:
        url = admin_url(entry, family, world, world.tx)
        # Django's admin sends a GET of its logout page back to its index (which asks for a login).
        expected, start = {"login": (200, None), "logout": (302, "/admin/")}.get(view, (ADMIN_LOGIN, None))
        answer = ask(world.clients[who], "GET", url)
        check(problems, key, answer, expected, url, world=world, who=who, method="GET", start=start)
    for who in STAFFED:
        client = world.clients[who]
        get_user_model().objects.filter(pk=world.users[who].pk).update(is_staff=True)  # undone after the test
        for scope in scopes if who != "supervisor" else ["own"]:
            side = world.td if scope == "other" else world.tx
            url = admin_url(entry, family, world, side)
            label = f"{key} ({who}+staff, {scope})"
            answer = ask(client, "GET", url)
            check(
                problems, label, answer, admin_expectation(family, who, scope), url, world=world, who=who, method="GET"
            )
            if scope == "other" and who == "admin" and view in ("change", "delete"):
                answer = ask(client, "POST", url, {"post": "yes", "name": "越界修改"})
                if answer.status not in (302, 403) or answer.changed:
                    problems.append(
                        f"{label}: POST to td's object: {answer.status}, changed {sorted(answer.changed)[:5]}"
                    )
    assert not problems, "\n".join(problems)
