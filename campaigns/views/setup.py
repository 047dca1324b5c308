"""Setting up a district without the Django admin: the overview, units, work groups, campaigns.

Every page is its admin's (or an admin of its city's): `get_district_for_admin` makes another
district a 404 and any other role a 403 before anything is read. Objects are looked up
inside the district, so an id from elsewhere is a 404 too. People are in setup_people.py.
"""

from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import get_district_for_admin
from campaigns.forms.closing import ClosingLevelForm
from campaigns.forms.setup import (
    CampaignForm,
    CampaignNewForm,
    UnitForm,
    UnitImportForm,
    UnitNewForm,
    WorkGroupForm,
    WorkGroupNewForm,
)
from campaigns.models import (
    STREET_KINDS,
    Campaign,
    CampaignStatus,
    ClosingLevel,
    InspectionPoint,
    Membership,
    OrgUnit,
    Role,
    SetupImport,
    SetupImportKind,
    SubmissionKind,
    UnitKind,
    WorkGroup,
)
from campaigns.once import SubmissionRefused, SubmissionRepeated, create_once, submission_answer, submission_repeat
from campaigns.selectors.board import board_invalidate
from campaigns.services import units as unit_service
from campaigns.services.standard import campaign_standard_changed

from .imports import ImportPages, confirm_page, import_page, show_page, template_download

STREETS_PER_PAGE = 20
UNITS_PER_PAGE = 50
GROUPS_PER_PAGE = 50


def points_url(code):
    """The district's inspection points (list, import, QR stickers)."""
    return reverse("campaigns:points", args=[code])


# --- the overview ----------------------------------------------------------------------------


@dataclass
class Step:
    number: int
    title: str
    done: bool
    summary: str
    todo: str
    url: str
    action: str
    extra: list
    blocked: str = ""
    is_next: bool = False


def current_campaign(campaigns):
    """The running campaign, or else the newest: the one the board and the groups page show."""
    running = [c for c in campaigns if c.status == CampaignStatus.RUNNING]
    return (running or campaigns or [None])[0]


def _overview_steps(district):
    code = district.code
    kinds = dict(
        OrgUnit.objects.filter(district=district, is_active=True)
        .exclude(pk=district.pk)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    streets = kinds.get(UnitKind.STREET, 0) + kinds.get(UnitKind.TOWNSHIP, 0)
    grassroots = kinds.get(UnitKind.COMMUNITY, 0) + kinds.get(UnitKind.VILLAGE, 0)
    departments = kinds.get(UnitKind.DEPARTMENT, 0)
    people = Membership.objects.filter(unit__district=district, unit__is_active=True, user__is_active=True).aggregate(
        total=Count("user", distinct=True),
        **{role.value: Count("user", filter=Q(role=role), distinct=True) for role in Role},
    )
    campaigns = list(
        Campaign.objects.filter(district=district)
        .annotate(items=Count("checklist_items", distinct=True), groups=Count("work_groups", distinct=True))
        .order_by("-start_date", "-id")
    )
    campaign = current_campaign(campaigns)
    points = InspectionPoint.objects.filter(district=district, is_active=True).count()

    steps = [
        Step(
            1,
            _("单位"),
            done=bool(streets or departments),
            summary=_("%(s)s 个街道/乡镇，%(g)s 个社区/村，%(d)s 个部门")
            % {"s": streets, "g": grassroots, "d": departments},
            todo=_(
                "先建好本区的单位：街道/乡镇、下属的社区/村，以及各责任部门。可以逐个添加，也可以下载模板填好后一次导入。"
            ),
            url=reverse("campaigns:setup-units", args=[code]),
            action=_("管理单位"),
            extra=[(reverse("campaigns:setup-units-import", args=[code]), _("从 Excel 导入"))],
        ),
        Step(
            2,
            _("人员"),
            done=bool(people[Role.STAFF]),
            summary=_("%(n)s 人：工作人员 %(staff)s，督导 %(sup)s，管理员 %(admin)s，领导 %(leader)s")
            % {
                "n": people["total"],
                "staff": people[Role.STAFF],
                "sup": people[Role.SUPERVISOR],
                "admin": people[Role.ADMIN],
                "leader": people[Role.LEADER],
            },
            todo=_("给网格员、责任单位联络员、督导和领导开账号。每个新账号有一次性初始密码，本人首次登录时须修改。"),
            url=reverse("campaigns:setup-people", args=[code]),
            action=_("管理人员"),
            extra=[(reverse("campaigns:setup-people-import", args=[code]), _("从 Excel 导入"))],
        ),
        Step(
            3,
            _("工作组"),
            done=bool(campaign and campaign.groups),
            summary=_("当前活动有 %(n)s 个工作组") % {"n": campaign.groups} if campaign else _("还没有活动"),
            todo=_("为活动建立领导小组、专班、各条专线、发现问题组和督导组，写明负责人。"),
            url=reverse("campaigns:setup-groups", args=[code]),
            action=_("管理工作组"),
            extra=[],
            blocked="" if campaign else _("工作组属于活动：请先完成第 5 步，创建活动。"),
        ),
        Step(
            4,
            _("点位"),
            done=bool(points),
            summary=_("%(n)s 个点位") % {"n": points},
            todo=_("录入要巡查的点位：农贸市场、背街小巷、校园周边、建筑工地等，以及各自的责任部门。"),
            url=points_url(code),
            action=_("管理点位"),
            extra=[],
        ),
        Step(
            5,
            _("活动和任务清单"),
            done=bool(campaign and campaign.items),
            summary=(
                _("%(name)s：任务清单 %(n)s 项") % {"name": campaign.name, "n": campaign.items}
                if campaign
                else _("还没有活动")
            ),
            todo=(
                _("活动已建好，下一步生成任务清单：可以按国家标准生成，也可以从 Excel 导入本区的赋分表。")
                if campaign
                else _("创建本区的创卫（或固卫、复审）活动，填写开始日期和迎检日期，再生成任务清单。")
            ),
            url=(
                reverse("campaigns:setup-campaign", args=[code, campaign.pk])
                if campaign
                else reverse("campaigns:setup-campaign-new", args=[code])
            ),
            action=_("查看活动") if campaign else _("创建活动"),
            extra=[(reverse("campaigns:setup-campaign-new", args=[code]), _("再建一个活动"))] if campaign else [],
        ),
    ]
    # What to do next follows the dependencies, not only the numbers: groups need a campaign.
    order = [1, 2, 5, 3, 4]
    by_number = {step.number: step for step in steps}
    for number in order:
        step = by_number[number]
        if not step.done and not step.blocked:
            step.is_next = True
            break
    return steps, campaigns, campaign


@login_required
@require_GET
def setup_overview(request, code):
    district = get_district_for_admin(request.user, code)
    steps, campaigns, campaign = _overview_steps(district)
    return render(
        request,
        "campaigns/setup_overview.html",
        {
            "district": district,
            "steps": steps,
            "campaigns": campaigns,
            "campaign": campaign,
            "all_done": all(step.done for step in steps),
        },
    )


# --- units -------------------------------------------------------------------------------


def _unit_in(district, pk):
    return get_object_or_404(unit_service.district_units(district).select_related("parent"), pk=pk)


@login_required
@require_GET
def units_page(request, code):
    district = get_district_for_admin(request.user, code)
    show = request.GET.get("show")
    show = show if show in ("streets", "departments", "inactive") else "streets"
    query = (request.GET.get("q") or "").strip()[:50]
    units = unit_service.district_units(district)
    counts = units.aggregate(
        streets=Count("id", filter=Q(kind__in=STREET_KINDS, is_active=True)),
        departments=Count("id", filter=Q(kind=UnitKind.DEPARTMENT, is_active=True)),
        inactive=Count("id", filter=Q(is_active=False)),
        total=Count("id"),
    )
    context = {"district": district, "show": show, "q": query, "counts": counts}
    if query:
        found = units.filter(name__icontains=query).select_related("parent").order_by("kind", "order", "id")
        context["page"] = Paginator(found, UNITS_PER_PAGE).get_page(request.GET.get("page"))
        context["page_query"] = f"q={query}"
    elif show == "streets":
        children = Prefetch(
            "children",
            queryset=OrgUnit.objects.filter(is_active=True).order_by("order", "id"),
            to_attr="active_children",
        )
        streets = units.filter(kind__in=STREET_KINDS, is_active=True).prefetch_related(children).order_by("order", "id")
        context["page"] = Paginator(streets, STREETS_PER_PAGE).get_page(request.GET.get("page"))
        context["page_query"] = "show=streets"
    else:
        listed = (
            units.filter(kind=UnitKind.DEPARTMENT, is_active=True)
            if show == "departments"
            else units.filter(is_active=False)
        )
        listed = listed.select_related("parent").order_by("kind", "order", "id")
        context["page"] = Paginator(listed, UNITS_PER_PAGE).get_page(request.GET.get("page"))
        context["page_query"] = f"show={show}"
    return render(request, "campaigns/setup_units.html", context)


def _unit_form_page(request, district, form, unit=None, status=200):
    return render(
        request, "campaigns/setup_unit_form.html", {"district": district, "form": form, "unit": unit}, status=status
    )


def _unit_save(request, district, form, unit=None):
    data = form.cleaned_data
    values = {
        "name": data["name"].strip(),
        "kind": data["kind"],
        "parent": data["parent"],
        "code": data["code"],
        "contact_person": data["contact_person"],
        "contact_phone": data["contact_phone"],
    }
    try:
        if unit is None:
            return create_once(
                request,
                form,
                SubmissionKind.UNIT,
                lambda: unit_service.unit_create(district=district, actor=request.user, **values),
                lambda made: reverse("campaigns:setup-unit", args=[district.code, made.pk]),
            )
        return unit_service.unit_update(unit=unit, district=district, actor=request.user, **values)
    except SubmissionRefused as refused:
        form.submission_refuse(refused.message)
    except unit_service.UnitRefused as refused:
        form.add_error(None, str(refused))
    except ValidationError as invalid:
        for field, errors in invalid.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    return None


@login_required
def unit_new(request, code):
    district = get_district_for_admin(request.user, code)
    initial = {}
    parent = request.GET.get("parent")
    if parent and parent.isdigit():
        initial = {"parent": parent, "kind": UnitKind.COMMUNITY}
    form = UnitNewForm(request.POST or None, district=district, initial=initial)
    if request.method == "POST":
        if (answer := submission_repeat(request, form, SubmissionKind.UNIT)) is not None:
            return answer  # saved twice: the unit the first send added
        try:
            unit = form.is_valid() and _unit_save(request, district, form)
        except SubmissionRepeated as repeated:
            return submission_answer(request, repeated)
        if unit:
            messages.success(request, _("已添加“%(name)s”。") % {"name": unit.name})
            if "again" in request.POST:
                again = reverse("campaigns:setup-unit-new", args=[district.code])
                return redirect(f"{again}?parent={unit.parent_id}" if unit.kind not in STREET_KINDS else again)
            return redirect(f"{reverse('campaigns:setup-units', args=[district.code])}?{_show_for(unit)}")
        return _unit_form_page(request, district, form, status=400)
    return _unit_form_page(request, district, form)


def _show_for(unit):
    return "show=departments" if unit.kind == UnitKind.DEPARTMENT else "show=streets"


@login_required
def unit_edit(request, code, pk):
    district = get_district_for_admin(request.user, code)
    unit = _unit_in(district, pk)
    initial = {
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent_id if unit.kind not in STREET_KINDS + (UnitKind.DEPARTMENT,) else None,
        "code": unit.code,
        "contact_person": unit.contact_person,
        "contact_phone": unit.contact_phone,
    }
    form = UnitForm(request.POST or None, district=district, unit=unit, initial=initial)
    if request.method == "POST":
        if form.is_valid() and _unit_save(request, district, form, unit):
            messages.success(request, _("“%(name)s”已保存。") % {"name": unit.name})
            return redirect(f"{reverse('campaigns:setup-units', args=[district.code])}?{_show_for(unit)}")
        return _unit_form_page(request, district, form, unit, status=400)
    return _unit_form_page(request, district, form, unit)


@login_required
@require_POST
def unit_active(request, code, pk):
    district = get_district_for_admin(request.user, code)
    unit = _unit_in(district, pk)
    active = request.POST.get("active") == "1"
    try:
        unit_service.unit_set_active(unit=unit, district=district, actor=request.user, active=active)
    except unit_service.UnitRefused as refused:
        messages.error(request, str(refused))
    else:
        if active:
            messages.success(request, _("已启用“%(name)s”。") % {"name": unit.name})
        else:
            messages.success(
                request,
                _("已停用“%(name)s”。它的工单和记录都还在；这个单位的人员不再因它获得权限。") % {"name": unit.name},
            )
    return redirect(reverse("campaigns:setup-unit", args=[district.code, unit.pk]))


# --- the units import -------------------------------------------------------------------


UNIT_IMPORT = ImportPages(
    owner="district",
    owner_arg="code",
    records=lambda district: SetupImport.objects.filter(district=district, kind=SetupImportKind.UNITS),
    form=UnitImportForm,
    columns=unit_service.COLUMNS,
    title=gettext_lazy("从 Excel 导入单位"),
    noun=gettext_lazy("单位"),
    steps=(
        gettext_lazy("下载模板。模板里已列出本区现有的单位，新的单位加在后面（社区和村写在所属街道/乡镇之后）。"),
        gettext_lazy("上传填好的 .xlsx 文件。系统先逐行检查，列出每一处问题；有问题时一行也不导入。"),
        gettext_lazy("确认无误后导入。同一上级单位下名称相同的单位会更新联系人，不会重复添加。"),
    ),
    upload_template="campaigns/setup_import.html",
    preview_template="campaigns/setup_import_preview.html",
    list_url="campaigns:setup-units",
    template_url="campaigns:setup-units-template",
    import_url="campaigns:setup-units-import",
    show_url="campaigns:setup-units-import-show",
    confirm_url="campaigns:setup-units-import-confirm",
    done_message=gettext_lazy("导入完成：新增 %(a)s 个单位，更新 %(c)s 个，未变 %(s)s 个。"),
)


@login_required
@require_GET
def units_template(request, code):
    district = get_district_for_admin(request.user, code)
    return template_download(unit_service.units_template(district), "units-template.xlsx")


@login_required
def units_import(request, code):
    district = get_district_for_admin(request.user, code)
    return import_page(request, UNIT_IMPORT, district, partial(unit_service.units_import_upload, district=district))


@login_required
@require_GET
def units_import_show(request, code, import_id):
    district = get_district_for_admin(request.user, code)
    return show_page(request, UNIT_IMPORT, district, import_id, unit_service.units_import_preview)


@login_required
@require_POST
def units_import_confirm(request, code, import_id):
    district = get_district_for_admin(request.user, code)
    return confirm_page(
        request,
        UNIT_IMPORT,
        district,
        import_id,
        lambda record, ticked: unit_service.units_import_confirm(record=record, actor=request.user, ticked=ticked),
    )


# --- work groups ----------------------------------------------------------------------------


def _campaign_in(district, pk):
    return get_object_or_404(Campaign, pk=pk, district=district)


def _district_campaigns(district):
    return list(Campaign.objects.filter(district=district).order_by("-start_date", "-id"))


def _chosen_campaign(request, district, campaigns):
    wanted = request.GET.get("campaign") or request.POST.get("campaign")
    if wanted:
        found = next((c for c in campaigns if str(c.pk) == wanted), None)
        if found is None:
            raise Http404(_("没有这个活动，或您无权查看。"))
        return found
    return current_campaign(campaigns)


@login_required
@require_GET
def groups_page(request, code):
    district = get_district_for_admin(request.user, code)
    campaigns = _district_campaigns(district)
    campaign = _chosen_campaign(request, district, campaigns)
    page = None
    if campaign is not None:
        groups = (
            WorkGroup.objects.filter(campaign=campaign)
            .select_related("leader")
            .annotate(member_count=Count("members", distinct=True))
            .prefetch_related(Prefetch("streets", queryset=OrgUnit.objects.order_by("order", "id")))
            .order_by("kind", "order", "id")
        )
        page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/setup_groups.html",
        {
            "district": district,
            "campaigns": campaigns,
            "campaign": campaign,
            "page": page,
            "page_query": f"campaign={campaign.pk}" if campaign else "",
        },
    )


def _group_form_page(request, district, campaign, form, group=None, status=200):
    return render(
        request,
        "campaigns/setup_group_form.html",
        {"district": district, "campaign": campaign, "form": form, "group": group},
        status=status,
    )


@login_required
def group_new(request, code):
    district = get_district_for_admin(request.user, code)
    campaign = _chosen_campaign(request, district, _district_campaigns(district))
    if campaign is None:
        messages.info(request, _("工作组属于活动：请先创建活动。"))
        return redirect("campaigns:setup-campaign-new", code=district.code)
    form = WorkGroupNewForm(request.POST or None, district=district, instance=WorkGroup(campaign=campaign))
    if request.method == "POST":
        kind = SubmissionKind.WORK_GROUP
        if (answer := submission_repeat(request, form, kind)) is not None:
            return answer  # saved twice: the group the first send added (not "the name is taken")
        if form.is_valid():
            try:
                group = create_once(
                    request, form, kind, form.save, lambda made: reverse("campaigns:setup-group", args=[code, made.pk])
                )
            except SubmissionRepeated as repeated:
                return submission_answer(request, repeated)
            except SubmissionRefused as refused:
                form.submission_refuse(refused.message)
            else:
                messages.success(request, _("已添加工作组“%(name)s”。") % {"name": group.name})
                return redirect(f"{reverse('campaigns:setup-groups', args=[district.code])}?campaign={campaign.pk}")
        return _group_form_page(request, district, campaign, form, status=400)
    return _group_form_page(request, district, campaign, form)


@login_required
def group_edit(request, code, pk):
    district = get_district_for_admin(request.user, code)
    group = get_object_or_404(WorkGroup.objects.select_related("campaign"), pk=pk, campaign__district=district)
    form = WorkGroupForm(request.POST or None, district=district, instance=group)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("工作组“%(name)s”已保存。") % {"name": group.name})
            return redirect(f"{reverse('campaigns:setup-groups', args=[district.code])}?campaign={group.campaign_id}")
        return _group_form_page(request, district, group.campaign, form, group, status=400)
    return _group_form_page(request, district, group.campaign, form, group)


# --- campaigns -----------------------------------------------------------------------------


@login_required
def campaign_new(request, code):
    district = get_district_for_admin(request.user, code)
    form = CampaignNewForm(request.POST or None, instance=Campaign(district=district))
    if request.method == "POST":
        kind = SubmissionKind.CAMPAIGN
        if (answer := submission_repeat(request, form, kind)) is not None:
            return answer  # created twice: the campaign the first send made (not "the name is taken")
        if form.is_valid():
            try:
                campaign = create_once(
                    request,
                    form,
                    kind,
                    form.save,
                    lambda made: reverse("campaigns:setup-campaign", args=[code, made.pk]),
                )
            except SubmissionRepeated as repeated:
                return submission_answer(request, repeated)
            except SubmissionRefused as refused:
                form.submission_refuse(refused.message)
            else:
                board_invalidate(district.pk)  # the board shows the running campaign and its countdown
                messages.success(request, _("活动“%(name)s”已创建。下一步：生成任务清单。") % {"name": campaign.name})
                return redirect("campaigns:setup-campaign", code=district.code, pk=campaign.pk)
        return render(request, "campaigns/setup_campaign_form.html", {"district": district, "form": form}, status=400)
    return render(request, "campaigns/setup_campaign_form.html", {"district": district, "form": form})


@login_required
def campaign_edit(request, code, pk):
    district = get_district_for_admin(request.user, code)
    campaign = _campaign_in(district, pk)
    title_name = campaign.name  # the form writes what was typed onto the instance, valid or not
    form = CampaignForm(request.POST or None, instance=campaign)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            if "standard" in form.changed_data:  # its tasks' 项 follow it
                campaign_standard_changed(campaign)
            board_invalidate(district.pk)
            messages.success(request, _("活动“%(name)s”已保存。") % {"name": campaign.name})
            return redirect("campaigns:setup-campaign", code=district.code, pk=campaign.pk)
        status = 400
    counts = Campaign.objects.filter(pk=campaign.pk).aggregate(
        items=Count("checklist_items", distinct=True),
        areas=Count("areas", distinct=True),
        categories=Count("problem_categories", distinct=True),
        groups=Count("work_groups", distinct=True),
    )
    return render(
        request,
        "campaigns/setup_campaign.html",
        {
            "district": district,
            "campaign": campaign,
            "form": form,
            "counts": counts,
            "title_name": title_name,
            "levels": ClosingLevel.objects.filter(campaign=campaign).select_related("work_group"),
            "level_form": ClosingLevelForm(campaign=campaign),
        },
        status=status,
    )
