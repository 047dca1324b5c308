"""The access matrix: every URL of the project × every kind of person × own and other district.

The URL patterns are read from the URLconf when the tests are collected: a view added
without a row in RULES (tests/access_rules.py) (or, under admin/, outside the admin family rule) fails here, by name.

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
from dataclasses import dataclass
from urllib.parse import unquote, urlencode

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaigns.admin import DistrictScopedAdmin, ReadOnlyAdmin
from campaigns.models import Ticket

from .access_rules import (
    ADMIN_LOGIN,
    API_PREFIXES,
    LOGIN,
    POST_ONLY,
    RULES,
)
from .access_world import (
    ACTORS,
    ADMINS,
    ANON,
    DUTY_HOLDERS,
    EVERYONE,
    TX_ROLES,
    ask,
    resolve_kwargs,
    world_built,
)

# Every test here uses the database; this also makes pytest-django set up the test database
# when only the table check is selected (the world fixture would otherwise see the real one).
pytestmark = pytest.mark.django_db


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
# The API answers tokens, not sessions: its routes are walked by tests/test_api_access.py, which
# checks it has a row for every one of them (API_PREFIXES names what it owns).
API_ENTRIES = [e for e in ENTRIES if e.route.startswith(API_PREFIXES)]
APP_ENTRIES = [e for e in ENTRIES if not e.route.startswith(("admin/", *API_PREFIXES))]
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
