"""Who may see and do what.

A user's reach comes only from their memberships: a unit in a district gives that
district; a unit that is a city gives every district of the city. Nothing else widens it,
not even being a Django superuser, so the ledger never shows a district to someone the
district did not enrol.
"""

from collections.abc import Iterable
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from infra.request_memo import memo_get_many, memo_set

from .. import policy
from ..models import (
    Campaign,
    ChecklistItem,
    DuplicateSuggestion,
    InspectionPoint,
    InspectionRound,
    Membership,
    OrgUnit,
    ProblemListImport,
    RectificationReport,
    Role,
    RoundLevel,
    RoundPoint,
    Standard,
    StandardItem,
    Ticket,
    UnitKind,
    WorkGroup,
)
from ..models.ticket import TicketQuerySet
from ..policy import EMPTY_SCOPE, WORKER_ROLES, Scope
from ..policy import MANAGER_ROLES as MANAGER_ROLES  # where the views have always found it
from ..reference import choices_version, districts
from ..signals import SCOPE_VERSION_KEY, inspector_key, scope_version, unread_key

# Whoever a request carries: a signed-in account or the anonymous visitor.
AnyUser = User | AnonymousUser


def scope_for(user: AnyUser | None) -> Scope:
    """The user's reach, kept in the cache with the scope version it was computed at: any
    change to memberships, units or accounts moves that version on (campaigns/signals.py)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    key = f"scope:{user.pk}"
    # One round trip, remembered for the rest of the request: the current version, this
    # user's scope with the version it is of, and the bell's count and the 我的检查 flag,
    # which the navigation asks for next.
    found = memo_get_many([SCOPE_VERSION_KEY, key, unread_key(user.pk), inspector_key(user.pk)])
    version = found.get(SCOPE_VERSION_KEY) or scope_version()
    kept = found.get(key)
    if kept is not None and kept[0] == version:
        return kept[1]
    scope = _compute_scope(user)
    cache.set(key, (version, scope), 3600)
    memo_set(key, (version, scope))
    return scope


def _compute_scope(user: User) -> Scope:
    roles: dict[int, set[str]] = {}
    unit_ids: set[int] = set()
    street_ids: set[int] = set()
    city_ids: set[int] = set()
    city_roles: dict[int, set[str]] = {}
    for unit_id, kind, district_id, role in Membership.objects.filter(user=user, unit__is_active=True).values_list(
        "unit_id", "unit__kind", "unit__district_id", "role"
    ):
        if kind == UnitKind.CITY:
            city_ids.add(unit_id)
            city_roles.setdefault(unit_id, set()).add(role)
            continue
        # Every unit below a city has its district (OrgUnit's tree rule), so never None here.
        roles.setdefault(cast(int, district_id), set()).add(role)
        if role in WORKER_ROLES and kind != UnitKind.DISTRICT:
            unit_ids.add(unit_id)
            if kind in (UnitKind.STREET, UnitKind.TOWNSHIP):
                street_ids.add(unit_id)
    if city_ids:
        for district_id, city_id in OrgUnit.objects.filter(
            kind=UnitKind.DISTRICT, parent_id__in=city_ids, is_active=True
        ).values_list("id", "parent_id"):
            roles.setdefault(district_id, set()).update(city_roles[city_id])
    return Scope(
        district_ids=frozenset(roles),
        roles_by_district={d: frozenset(r) for d, r in roles.items()},
        unit_ids=frozenset(unit_ids),
        street_ids=frozenset(street_ids),
        city_ids=frozenset(city_ids),
        work_group_ids=frozenset(WorkGroup.objects.filter(members=user).values_list("id", flat=True)),
    )


def visible_tickets(user: AnyUser) -> TicketQuerySet:
    """Every ticket of the districts this person may see."""
    return Ticket.objects.visible_to(scope_for(user))


def visible_districts(user: AnyUser) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(pk__in=scope_for(user).district_ids).order_by("order", "id")


def get_district_for_user(user: AnyUser, code: str) -> OrgUnit:
    """A district the user may see, by code; anyone else's district does not exist for them."""
    scope = scope_for(user)
    district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code=code.upper(), pk__in=scope.district_ids).first()
    if district is None:
        raise Http404("没有这个区，或您无权查看。")
    return district


def default_district(user: AnyUser) -> OrgUnit | None:
    scope = scope_for(user)
    if not scope.district_ids:
        return None
    known = districts(choices_version())
    mine = [known[pk] for pk in scope.district_ids if pk in known]
    return min(mine, key=lambda d: (d.order, d.pk)) if mine else visible_districts(user).first()


def undecided_duplicates(ticket: object) -> QuerySet[DuplicateSuggestion]:
    """Suggestions about `ticket` (a pk or an OuterRef) still waiting, both tickets still open
    (a ticket closed or merged meanwhile leaves nothing to decide)."""
    return DuplicateSuggestion.objects.filter(
        Q(ticket=ticket) | Q(candidate=ticket),
        decision="",
        ticket__state__in=policy.OPEN_STATES,
        candidate__state__in=policy.OPEN_STATES,
    )


def ticket_queryset_for_detail() -> TicketQuerySet:
    # No joins: authorising and deciding the buttons need only the ticket's own columns; what
    # the page shows is rendered once per ticket version and loads its relations then.
    return Ticket.objects.all()


def load_ticket_relations(ticket: Ticket) -> Ticket:
    """Attach everything a ticket page shows, in at most five lookups by primary key."""
    related = (
        Ticket.objects.select_related("district", "street", "area", "category", "responsible_unit")
        .only(
            "id",
            "district__name",
            "district__code",
            "street__name",
            "area__name",
            "area__code",
            "category__name",
            "responsible_unit__name",
            "responsible_unit__street_id",
        )
        .get(pk=ticket.pk)
    )
    for name in ("district", "street", "area", "category", "responsible_unit"):
        setattr(ticket, name, getattr(related, name))

    user_ids = {ticket.reported_by_id, ticket.closed_by_id, ticket.fix_submitted_by_id} - {None}
    users = get_user_model().objects.in_bulk(user_ids)
    for name in ("reported_by", "closed_by", "fix_submitted_by"):
        pk = getattr(ticket, f"{name}_id")
        if pk is not None and pk in users:
            setattr(ticket, name, users[pk])
    group_ids = {ticket.finder_group_id, ticket.work_group_id} - {None}
    if group_ids:
        groups = WorkGroup.objects.in_bulk(group_ids)
        for name in ("finder_group", "work_group"):
            pk = getattr(ticket, f"{name}_id")
            if pk is not None and pk in groups:
                setattr(ticket, name, groups[pk])
    if ticket.point_id:
        ticket.point = InspectionPoint.objects.get(pk=ticket.point_id)
    if ticket.checklist_item_id:
        ticket.checklist_item = ChecklistItem.objects.get(pk=ticket.checklist_item_id)
    return ticket


def get_ticket_for_user(
    request: HttpRequest, number: str, *, for_action: str | None = None
) -> tuple[Ticket, list[str] | None]:
    """Fetch and authorise in one step.

    Another district's ticket (or a number that does not exist) is a 404 — the page does
    not confirm it exists. For an action, a user who can see the ticket but whose role can
    never do that act gets a 403.
    """
    # No ORDER BY: the unique number is the only index this lookup should touch.
    scope = scope_for(request.user)
    queryset = ticket_queryset_for_detail().filter(number=number, district_id__in=scope.district_ids).order_by()
    if for_action is not None:
        # An act only authorises here; its verb locks and reads the whole row itself.
        queryset = queryset.only(*ACT_COLUMNS)
    found = list(queryset[:1])
    ticket = found[0] if found else None
    if ticket is None:
        raise Http404("没有这张工单，或您无权查看。")
    if for_action is not None:
        if not policy.role_allows(for_action, ticket, scope):
            raise PermissionDenied("您的角色不能对这张工单执行此操作。")
        return ticket, None
    return ticket, policy.actions_for(ticket, scope, request.user.pk)


# What authorising an act and building its form read from the ticket.
ACT_COLUMNS = (
    "id",
    "number",
    "district_id",
    "campaign_id",
    "area_id",
    "checklist_item_id",
    "state",
    "responsible_unit_id",
    "fix_submitted_by_id",
    "deadline",  # 申请延期 is checked against it
    # 协办 and 复查 decide who may act from these.
    "co_units_count",
    "street_id",
    "finder_group_id",
)


def get_campaign_for_user(user: AnyUser, campaign_id: int | str) -> Campaign:
    """A campaign of a district the user may see; any other is a 404."""
    campaign = (
        Campaign.objects.select_related("district")
        .filter(pk=campaign_id, district_id__in=scope_for(user).district_ids)
        .first()
    )
    if campaign is None:
        raise Http404("没有这个活动，或您无权查看。")
    return campaign


def is_city_admin(user: AnyUser | None) -> bool:
    """An admin of a city office (市创卫办): who keeps what every district shares."""
    if user is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user, unit__kind=UnitKind.CITY, unit__is_active=True, role=Role.ADMIN
    ).exists()


def can_keep_calendar(user: AnyUser | None) -> bool:
    """The 节假日安排 is one for every district: only a city office's admin keeps it."""
    return is_city_admin(user)


def require_calendar_keeper(user: AnyUser | None) -> None:
    if not can_keep_calendar(user):
        raise PermissionDenied("只有市创卫办管理员可以维护节假日安排。")


def require_district_admin(user: AnyUser, district_id: int) -> None:
    if not scope_for(user).has_role(district_id, {Role.ADMIN}):
        raise PermissionDenied("只有本区管理员可以做这件事。")


def get_district_for_admin(user: AnyUser, code: str) -> OrgUnit:
    """A district this person sets up (its admin, or an admin of its city), by code.

    Another district does not exist for them (404); their own district, in a role that does
    not set anything up, is a 403.
    """
    district = get_district_for_user(user, code)
    require_district_admin(user, district.pk)
    return district


def get_checklist_item_for_user(user: AnyUser, pk: int | str) -> ChecklistItem:
    item = (
        ChecklistItem.objects.select_related("campaign", "campaign__district", "area", "lead_unit")
        .filter(pk=pk, campaign__district_id__in=scope_for(user).district_ids)
        .first()
    )
    if item is None:
        raise Http404("没有这项任务，或您无权查看。")
    return item


def get_point_for_user(user: AnyUser, pk: int | str) -> InspectionPoint:
    """An inspection point of a district the user may see; any other is a 404."""
    point = (
        InspectionPoint.objects.select_related("district", "unit", "street", "point_type")
        .filter(pk=pk, district_id__in=scope_for(user).district_ids)
        .first()
    )
    if point is None:
        raise Http404("没有这个点位，或您无权查看。")
    return point


# --- the 问题清单 import: who imports a round's list, for which districts ------------------


def _city_admin_of(user: AnyUser) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(
        kind=UnitKind.CITY, is_active=True, memberships__user=cast(User, user), memberships__role=Role.ADMIN
    ).distinct()


def problem_list_offices(user: AnyUser) -> list[OrgUnit]:
    """Where this person imports a 问题清单: each district they supervise or administer (its
    rows stay in that district), and each city whose office they administer (a city round's
    list, each row to the district of its street)."""
    if user is None or not user.is_authenticated:
        return []
    scope = scope_for(user)
    districts = [d for d in visible_districts(user) if scope.has_role(d.pk, MANAGER_ROLES)]
    cities = list(_city_admin_of(user).order_by("order", "id")) if scope.is_city_level else []
    return [*cities, *districts]


def require_problem_list_importer(user: AnyUser) -> list[OrgUnit]:
    """The offices this person imports lists for; none at all is a 403."""
    offices = problem_list_offices(user)
    if not offices:
        raise PermissionDenied("只有区创卫办督导、管理员和市创卫办管理员可以导入问题清单。")
    return offices


def problem_list_rounds(*offices: OrgUnit) -> QuerySet[InspectionRound]:
    """The rounds a list of these offices may go into: those covering the district, or for a
    city office those covering any of its districts."""
    covering = Q(pk__in=[])
    for office in offices:
        covering |= Q(districts__parent=office) if office.kind == UnitKind.CITY else Q(districts=office)
    return InspectionRound.objects.filter(covering).distinct()


def get_problem_list_import_for_user(user: AnyUser, pk: int | str) -> ProblemListImport:
    """A kept list of an office the person belongs to; a district's list is another district's
    404, and a 403 for one of the district who may not import; a city's list is its admins'."""
    scope = scope_for(user)
    record = (
        ProblemListImport.objects.select_related("office", "inspection_round", "uploaded_by")
        .filter(Q(office_id__in=scope.district_ids) | Q(office_id__in=scope.city_ids), pk=pk)
        .first()
    )
    if record is None:
        raise Http404("没有这份问题清单，或您无权查看。")
    if record.office.kind == UnitKind.CITY:
        if not _city_admin_of(user).filter(pk=record.office_id).exists():
            raise PermissionDenied("只有市创卫办管理员可以导入市级问题清单。")
    elif not scope.has_role(record.office_id, MANAGER_ROLES):
        raise PermissionDenied("只有本区督导和管理员可以导入问题清单。")
    return record


# --- the assessment standard: every district's, kept by a city office -------------------------


def can_keep_standard(user: AnyUser | None) -> bool:
    """The standard, its 项 and its sample quotas are one for every district: only a city
    office's admin edits or imports them (a district's admin or supervisor reads them)."""
    return is_city_admin(user)


def require_standard_reader(user: AnyUser) -> None:
    if not scope_for(user).district_ids and not is_city_admin(user):
        raise PermissionDenied("测评标准只对区、市创卫办的人员开放。")


def require_standard_keeper(user: AnyUser) -> None:
    if not can_keep_standard(user):
        raise PermissionDenied("只有市创卫办管理员可以修改测评标准。")


def get_standard_for_user(user: AnyUser, pk: int | str, *, keep: bool = False) -> Standard:
    """A standard to read (anyone with a role in a district) or, with `keep`, to change (a
    city office's admin): the person is checked first (403), then the standard (404)."""
    if keep:
        require_standard_keeper(user)
    else:
        require_standard_reader(user)
    standard = Standard.objects.filter(pk=pk).first()
    if standard is None:
        raise Http404("没有这个测评标准。")
    return standard


def get_standard_item_for_keeper(user: AnyUser, pk: int | str) -> StandardItem:
    """A 项 to edit: a city office's admin only (403 for anyone else), then the 项 (404)."""
    require_standard_keeper(user)
    item = StandardItem.objects.select_related("article__aspect__standard").filter(pk=pk).first()
    if item is None:
        raise Http404("没有这一项。")
    return item


# --- inspection rounds (暗访, 督查, 复查, 自查) ----------------------------------------------

# A district's own rounds; the levels above are the city's (or a higher office's, entered by the city).
DISTRICT_ROUND_LEVELS = frozenset({RoundLevel.DISTRICT, RoundLevel.STREET})
ROUND_READERS = MANAGER_ROLES | {Role.LEADER}


def may_manage_round(scope: Scope, level: str, district_ids: Iterable[int]) -> bool:
    """A district's supervisors and admins run its 区 and 街道自查 rounds; a round of the city,
    province or nation (over one district or several) is run by a city office's admin."""
    ids = set(district_ids)
    if not ids:
        return False
    if level in DISTRICT_ROUND_LEVELS:
        return len(ids) == 1 and all(scope.can_manage(district_id) for district_id in ids)
    return scope.is_city_level and all(scope.has_role(district_id, {Role.ADMIN}) for district_id in ids)


def visible_rounds(user: AnyUser) -> QuerySet[InspectionRound]:
    """Rounds over at least one district this person reads rounds in (its supervisors, admins and
    leaders; staff meet rounds only as team members, on their own pages)."""
    scope = scope_for(user)
    readable = [d for d in scope.district_ids if scope.has_role(d, ROUND_READERS)]
    covering = InspectionRound.districts.through.objects.filter(orgunit_id__in=readable).values("inspectionround_id")
    return InspectionRound.objects.filter(pk__in=covering)


def round_district_ids(inspection_round: InspectionRound) -> list[int]:
    return list(inspection_round.districts.order_by("order", "id").values_list("id", flat=True))


def get_round_for_user(user: AnyUser, pk: int | str, *, manage: bool = False) -> tuple[InspectionRound, list[int]]:
    """A round and the districts of it this person sees (each district sees only its own part).

    A round over none of their districts does not exist for them (404); one over their district
    is a 403 for a role that does not read rounds (staff meet rounds on 我的检查), and with
    `manage`, for anyone who may read it but not run it.
    """
    scope = scope_for(user)
    covering = InspectionRound.districts.through.objects.filter(orgunit_id__in=scope.district_ids).values(
        "inspectionround_id"
    )
    inspection_round = (
        InspectionRound.objects.select_related("standard", "rechecks").filter(pk=pk, pk__in=covering).first()
    )
    if inspection_round is None:
        raise Http404("没有这个检查轮次，或您无权查看。")
    district_ids = round_district_ids(inspection_round)
    mine = [d for d in district_ids if scope.has_role(d, ROUND_READERS)]
    if not mine:
        raise PermissionDenied("检查轮次只对创卫办督导、管理员和领导开放；检查组成员请到“我的检查”。")
    if manage and not may_manage_round(scope, inspection_round.level, district_ids):
        raise PermissionDenied("只有负责这个轮次的创卫办可以做这件事。")
    return inspection_round, mine


def is_inspector(scope: Scope, inspection_round: InspectionRound, user: AnyUser, district_id: int) -> bool:
    """A member of the round's team who works in the point's district (leaders read only)."""
    if user.pk is None:
        return False
    return scope.can_log(district_id) and inspection_round.team.filter(pk=user.pk).exists()


def get_round_point_for_inspector(user: AnyUser, pk: int | str) -> RoundPoint:
    """A sampled point for its inspector: another district's point is a 404; a point of one's own
    district on a round one is not a team member of is a 403."""
    scope = scope_for(user)
    round_point = (
        RoundPoint.objects.select_related(
            "inspection_round",
            "inspection_round__standard",
            "point",
            "point__point_type",
            "point__street",
            "point__unit",
            "point__responsible_department",
            "district",
        )
        .filter(pk=pk, district_id__in=scope.district_ids)
        .first()
    )
    if round_point is None:
        raise Http404("没有这个抽样点位，或您无权查看。")
    if not is_inspector(scope, round_point.inspection_round, user, round_point.district_id):
        raise PermissionDenied("只有本轮检查组的成员可以检查这个点位。")
    return round_point


# --- the assessment's paperwork: a round's 整改报告, the 迎检资料 binder ----------------------

# Who reads a district's reports and binder (its office and leaders); who writes them.
PAPERWORK_READERS = MANAGER_ROLES | {Role.LEADER}


def require_district_role(user: AnyUser, district_id: int, roles: frozenset[str], message: str) -> None:
    if not scope_for(user).has_role(district_id, roles):
        raise PermissionDenied(message)


def get_round_part_for_user(
    user: AnyUser, round_id: int | str, code: str, *, roles: frozenset[str] = PAPERWORK_READERS
) -> tuple[InspectionRound, OrgUnit]:
    """A district's part of a round (a city round covers several; each answers for its own).

    A district outside the person's reach, or a round that does not cover it, does not exist
    for them (404); their own district's part, in a role without `roles`, is a 403.
    """
    district = get_district_for_user(user, code)
    inspection_round = InspectionRound.objects.filter(pk=round_id, districts=district).first()
    if inspection_round is None:
        raise Http404("没有这个检查轮次，或它不涉及这个区。")
    require_district_role(user, district.pk, roles, "整改报告只对本区督导、管理员和领导开放。")
    return inspection_round, district


def get_rectification_report_for_user(user: AnyUser, pk: int | str) -> RectificationReport:
    """A version of a district's 整改报告: another district's is a 404, a role that does not
    read reports a 403."""
    report = (
        RectificationReport.objects.select_related("inspection_round", "district", "requested_by")
        .filter(pk=pk, district_id__in=scope_for(user).district_ids)
        .first()
    )
    if report is None:
        raise Http404("没有这份整改报告，或您无权查看。")
    require_district_role(user, report.district_id, PAPERWORK_READERS, "整改报告只对本区督导、管理员和领导开放。")
    return report


def get_binder_campaign_for_user(user: AnyUser, campaign_id: int | str) -> Campaign:
    """The campaign whose 迎检资料 the person reads: its district's office and leaders (403 for
    other roles there); another district's campaign is a 404."""
    campaign = get_campaign_for_user(user, campaign_id)
    require_district_role(user, campaign.district_id, PAPERWORK_READERS, "迎检资料只对本区督导、管理员和领导开放。")
    return campaign


def get_duplicate_queue_district(user: AnyUser, code: str) -> OrgUnit:
    """A district whose 疑似重复 queue this person decides: its supervisors and admins (and a
    city office's admins); another district is a 404, anyone else of the district a 403."""
    district = get_district_for_user(user, code)
    require_district_role(user, district.pk, MANAGER_ROLES, "疑似重复只由本区督导和管理员判断。")
    return district


def get_duplicate_suggestion_for_user(user: AnyUser, pk: int) -> DuplicateSuggestion:
    """A 疑似重复 suggestion to decide, fetched and authorised in one step (as the queue)."""
    scope = scope_for(user)
    found = (
        DuplicateSuggestion.objects.select_related("ticket", "candidate")
        .filter(pk=pk, district_id__in=scope.district_ids)
        .first()
    )
    if found is None:
        raise Http404("没有这条疑似重复提示，或您无权查看。")
    require_district_role(user, found.district_id, MANAGER_ROLES, "疑似重复只由本区督导和管理员判断。")
    return found
