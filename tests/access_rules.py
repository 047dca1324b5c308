"""The access matrix's expectation table: who may open or post to each URL of the project.

tests/test_access_matrix.py reads it; a view added without a row here fails there, by name.
"""

from dataclasses import dataclass, field

from .access_world import (
    ADMINS,
    AUDIT,
    CITY_ADMIN,
    DUTY_HOLDERS,
    EVERYONE,
    FIXERS,
    MANAGERS,
    OVERSEERS,
    SECURITY,
    STREET,
    WORKERS,
)

# ---------------------------------------------------------------------------------------
# The expectation table
# ---------------------------------------------------------------------------------------

LOGIN = "302 → /accounts/login/"
# Routes answered by tokens, not sessions: tests/test_api_access.py walks them.
API_PREFIXES = ("api/v1/", "api/open311/")
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
    # Documents (.docx, GB/T 9704): downloaded by whoever reads the page; 印发 is the admins'.
    "campaigns:notice-docx": page(OVERSEERS, pk="notice"),
    "campaigns:notice-issue": action(ADMINS, 302, pk="notice"),
    "campaigns:summary-docx": page(OVERSEERS, pk="summary"),
    "campaigns:summary-issue": action(ADMINS, 302, pk="summary"),
    "campaigns:rectification-report": page(OVERSEERS, code="code"),
    # A round's 整改报告 (the district's part) and the 迎检资料 binder: the office reads, writes
    # versions (supervisors and admins); an empty POST has no one-time key: nothing made, back.
    "campaigns:round-report": page(OVERSEERS, pk="report_round", code="code"),
    "campaigns:round-report-generate": action(MANAGERS, 302, pk="report_round", code="code"),
    "campaigns:round-report-progress": page(OVERSEERS, pk="rectification_report"),
    "campaigns:round-report-download": page(OVERSEERS, pk="rectification_report"),
    "campaigns:binder": page(OVERSEERS, campaign_id="campaign"),
    "campaigns:binder-zip": page(OVERSEERS, campaign_id="campaign"),
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
    "campaigns:ticket-supervision-docx": page(EVERYONE, number="on_hold"),
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
    # --- the 问题清单 import: a district's supervisors and admins, a city office's admins ----
    "campaigns:problem-list-import": form(MANAGERS, post=400),  # an empty POST: what is missing
    "campaigns:problem-list-template": page(MANAGERS),
    "campaigns:problem-list-show": page(
        MANAGERS,
        import_id="problem_list_import",
        get_writes=True,  # checks the kept rows afresh and records its row and error counts
    ),
    # The kept list has one clean row: confirmed, it becomes the round's ticket (then the list's page).
    "campaigns:problem-list-confirm": action(MANAGERS, 302, import_id="problem_list_import"),
    # Scanning a sticker: on to the log form for those who log; a leader is told why not.
    "campaigns:point-scan": page(WORKERS, 302, pk="point", redirects=dict.fromkeys(WORKERS, "/tickets/new/?point=")),
    "campaigns:scoring-sheet": page(EVERYONE, campaign_id="campaign"),
    "campaigns:scoring-area": page(EVERYONE, campaign_id="campaign", area_code="area_code"),
    "campaigns:scoring-export": page(EVERYONE, campaign_id="campaign"),
    # --- inspection rounds: the district's managers run its own; leaders read; staff inspect ----
    "campaigns:rounds": page(OVERSEERS),
    "campaigns:round-new": form(MANAGERS, post=400),  # an empty POST: what is missing
    "campaigns:round": page(OVERSEERS, pk="inspection_round"),
    "campaigns:round-edit": form(MANAGERS, post=400, pk="inspection_round"),
    "campaigns:round-points": page(MANAGERS, pk="inspection_round"),
    # Sample, points and inspectors: each answer goes back to the sample page with a message
    # (the world's round has no standard to draw by, no point chosen, no one-time key …).
    "campaigns:round-draw": action(MANAGERS, 302, pk="inspection_round"),
    "campaigns:round-point-add": action(MANAGERS, 302, pk="inspection_round"),
    "campaigns:round-point-remove": action(
        MANAGERS, 302, pk="inspection_round", point_pk="round_point", mixed=("point_pk",)
    ),
    "campaigns:round-assign": action(MANAGERS, 302, pk="inspection_round"),
    "campaigns:round-finish": action(MANAGERS, 302, pk="inspection_round"),
    "campaigns:round-recheck": action(MANAGERS, 302, pk="inspection_round"),
    "campaigns:inspect": page(EVERYONE),
    # Only the round's team (the district's 网格员 here) opens its points; an empty form is incomplete.
    "campaigns:inspect-point": form(STREET, post=400, pk="round_point"),
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
    # --- 测评标准 and its sample quotas: read by every district member, kept by a city admin -----
    "campaigns:standards": page(EVERYONE, system=True),
    "campaigns:standard": page(EVERYONE, system=True, pk="standard"),
    "campaigns:standard-export": page(EVERYONE, system=True, pk="standard"),
    "campaigns:standard-item-edit": form(CITY_ADMIN, post=400, system=True, pk="standard_item"),  # no requirement
    "campaigns:standard-import": form(CITY_ADMIN, post=400, system=True, pk="standard"),
    "campaigns:standard-import-show": page(
        CITY_ADMIN,
        system=True,
        pk="standard",
        import_id="standard_import",
        mixed=("import_id",),
        get_writes=True,  # re-reads the kept file and records its row and error counts
    ),
    # The new version is made, and the page goes on to it.
    "campaigns:standard-import-confirm": action(
        CITY_ADMIN, 302, system=True, pk="standard", import_id="standard_import", mixed=("import_id",)
    ),
    "campaigns:sample-quotas": page(EVERYONE, system=True, pk="standard"),
    "campaigns:sample-quotas-save": action(CITY_ADMIN, 400, system=True, pk="standard"),  # no table: nothing saved
    "campaigns:sample-quotas-export": page(EVERYONE, system=True, pk="standard"),
    "campaigns:sample-quotas-import": form(CITY_ADMIN, post=400, system=True, pk="standard"),
    "campaigns:sample-quotas-import-show": page(
        CITY_ADMIN, system=True, pk="standard", import_id="quota_import", mixed=("import_id",), get_writes=True
    ),
    "campaigns:sample-quotas-import-confirm": action(
        CITY_ADMIN, 302, system=True, pk="standard", import_id="quota_import", mixed=("import_id",)
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
    "campaigns:setup-documents": form(ADMINS, post=400, code="code"),  # an empty POST: what is missing
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
    # --- issue 19: sso ---
    # The single sign-on doors are public; the matrix's world configures no identity service,
    # so each is 404 for everyone (tests/test_sso*.py walk them configured).
    "sso-oidc-login": public(404),
    "sso-oidc-callback": public(404),
    "sso-cas-login": public(404, post=404),
    "sso-refused": public(403),  # the refusal page, with nothing refused: the general reason
    # Tying identities to accounts: the security admin for anyone, a district's admins for its people.
    "security-sso-links": form(SECURITY, post=200, system=True),  # an empty form: what is missing
    "security-sso-link-remove": action(SECURITY, 404, system=True, anonymous_get=405, pk=const(999999)),
    "district-sso-links": form(ADMINS, post=200, code="code"),
    "district-sso-link-remove": action(ADMINS, 404, code="code", pk=const(999999), anonymous_get=405),
    # --- issue 19: duplicates ---
    # 疑似重复 are the district's supervisors' and admins' to decide; leaders and staff 403.
    "campaigns:duplicates": page(MANAGERS, code="code"),
    "campaigns:duplicate-merge": action(MANAGERS, 400, pk="suggestion"),  # no `keep`: nothing merged
    "campaigns:duplicate-keep": action(MANAGERS, 302, pk="suggestion"),
    # --- issue 18: map ---
    # The map and its data: every member of the district, leaders included (they read it).
    "campaigns:map": page(EVERYONE, code="code"),
    "campaigns:map-data": page(EVERYONE, code="code"),
    "campaigns:setup-map": form(ADMINS, post=400, code="code"),  # an empty POST: no source chosen
    # The point sits in the first street, whose 网格员 is `staff`; an empty POST has no reading.
    "campaigns:point-locate": form(ADMINS | STREET, post=400, pk="point"),
    # --- issue 19: api ---
    # Tokens are issued and revoked by district and city admins; a token of another district
    # does not exist for a district's admin. The docs page shows no district data.
    "campaigns:api-tokens": page(ADMINS, outsider=403),
    "campaigns:api-token-new": form(ADMINS, post=400, outsider=403),
    "campaigns:api-token-revoke": action(ADMINS, 302, pk="api_token"),
    "campaigns:api-docs": page(EVERYONE | set(DUTY_HOLDERS), system=True),
    # --- issue 18: offline ---
    # The worker and the manifest carry no data: anyone, signed in or not, gets them.
    "campaigns:service-worker": public(),
    "campaigns:manifest": public(),
    # The device's offline pack: a district member's own; someone in no district has none.
    "campaigns:offline-pack": page(EVERYONE, outsider=404),
    # --- issue 19: hotline ---
    # The hotline's push: no session, its signature is the credential; unsigned is 401 for anyone.
    "campaigns:hotline-push": public(POST_ONLY, post=401, code="code"),
    "campaigns:hotline": page(MANAGERS, code="code"),
    "campaigns:hotline-template": page(ADMINS, code="code"),
    "campaigns:hotline-import": form(ADMINS, post=400, code="code"),
    "campaigns:hotline-import-show": page(
        ADMINS, code="code", import_id="hotline_import", mixed=("import_id",), get_writes=True
    ),
    "campaigns:hotline-import-confirm": action(
        ADMINS, 302, code="code", import_id="hotline_import", mixed=("import_id",)
    ),
}

# Under admin/, patterns come in families (see test_admin_access for the rule of each).
