"""/api/v1/tickets: the ledger as the list page filters it, a ticket with its timeline, logging
a problem as an integration, and the acts the token's account may do — each through the same
form and verb as the pages (campaigns/forms, campaigns/workflow)."""

from typing import Annotated, Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Header, Path, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from campaigns import policy, workflow
from campaigns.filters import TicketFilter
from campaigns.forms.tickets import TicketLogForm
from campaigns.models import (
    OPEN_STATES,
    AuditKind,
    OrgUnit,
    SubmissionKind,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from campaigns.once import SubmissionRefused, SubmissionRepeated
from campaigns.reference import choices_version, running_campaign
from campaigns.services.submissions import is_submission_key, submission_check
from security.audit import audit_record

from .common import (
    ERRORS,
    MAX_ID,
    ApiError,
    Caller,
    Error,
    Id,
    PageParams,
    caller,
    conditional,
    page_of,
    private,
    require_write,
)
from .schemas import EventOut, TicketDetail, TicketPage

router = Router(tags=["tickets"])

WRITE = {400: Error, 409: Error, **ERRORS}


class TicketFilters(Schema):
    """The ticket list's filters (campaigns/filters.py), as on the 问题台账 page."""

    q: str | None = Field(None, max_length=100, description="台账编号开头或描述中的文字")
    district: int | None = Id(None, description="区（编号）")
    state: str | None = Field(None, description="open（未办结）或一个状态")
    overdue: bool | None = None
    flag: str | None = Field(None, description="sign_late / yellow_card / supervised")
    mine: bool | None = None
    street: int | None = Id(None)
    area: int | None = Id(None)
    category: int | None = Id(None)
    responsible_unit: int | None = Id(None)
    work_group: int | None = Id(None)
    found_from: str | None = Field(None, description="YYYY-MM-DD")
    found_to: str | None = None
    closed_from: str | None = None
    closed_to: str | None = None
    returned: bool | None = None
    reopened: bool | None = None
    checklist_item: int | None = Id(None)
    point: int | None = Id(None)
    sort: str | None = Field(None, description="reported_at / -reported_at / deadline / number / closed_at …")


def _ref(obj: Any) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def ticket_row(ticket: Ticket, today: Any) -> dict:
    return {
        "number": ticket.number,
        "district": ticket.district.code,
        "state": ticket.state,
        "state_label": str(ticket.get_state_display()),
        "category": _ref(ticket.category),
        "street": _ref(ticket.street),
        "point": _ref(ticket.point),
        "place": ticket.place,
        "description": ticket.description,
        "reported_at": ticket.reported_at,
        "deadline": ticket.deadline,
        "responsible_unit": _ref(ticket.responsible_unit),
        "responsible_person": ticket.responsible_person,
        "overdue": bool(ticket.state in OPEN_STATES and ticket.deadline and ticket.deadline < today),
        "closed_at": ticket.closed_at,
        "return_count": ticket.return_count,
        "reopen_count": ticket.reopen_count,
    }


def _as_form_data(values: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in values.items():
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            data.appendlist(key, one.isoformat() if hasattr(one, "isoformat") else str(one))
    return data


def _form_refusal(form: forms.Form) -> ApiError:
    problems = [
        f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors) for name, errors in form.errors.items()
    ]
    return ApiError(400, "invalid", "；".join(problems))


def _ticket_for(who: Caller, number: str) -> Ticket:
    ticket = Ticket.objects.visible_to(who.scope).filter(number=number).first()
    if ticket is None:
        raise Http404(_("没有这张工单，或您无权查看。"))
    return ticket


@router.get("/", response={200: TicketPage, 304: None, **ERRORS}, summary="问题台账（可筛选、分页）")
@decorate_view(private, conditional)
def ticket_list(request: HttpRequest, filters: Query[TicketFilters], paging: Query[PageParams]) -> dict:
    who = caller(request)
    data = request.GET.copy()
    for name in ("limit", "offset"):
        data.pop(name, None)
    ticket_filter = TicketFilter(data or None, queryset=Ticket.objects.visible_to(who.scope), scope=who.scope)
    if ticket_filter.is_bound and not ticket_filter.is_valid():
        refusal = _form_refusal(ticket_filter.form)
        raise ApiError(422, "invalid_filter", refusal.message)
    ids, count, following = page_of(ticket_filter.qs.values_list("id", flat=True), paging)
    rows = {t.pk: t for t in Ticket.objects.for_rows().filter(pk__in=ids)}
    today = timezone.localdate()
    return {"count": count, "next_offset": following, "results": [ticket_row(rows[pk], today) for pk in ids]}


def _photo_out(photo: TicketPhoto) -> dict:
    return {
        "id": photo.pk,
        "kind": photo.kind,
        "url": f"/api/v1/photos/{photo.pk}",
        "thumbnail_url": f"/api/v1/photos/{photo.pk}/thumb",
    }


def ticket_detail_of(who: Caller, ticket: Ticket) -> dict:
    ticket = Ticket.objects.for_rows().select_related("area").get(pk=ticket.pk)
    photos = list(ticket.photos.order_by("uploaded_at", "id"))
    by_event: dict[int | None, list[int]] = {}
    for photo in photos:
        by_event.setdefault(photo.event_id, []).append(photo.pk)
    events = TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id")
    return {
        **ticket_row(ticket, timezone.localdate()),
        "area": _ref(ticket.area),
        "campaign_id": ticket.campaign_id,
        "photos": [_photo_out(p) for p in photos],
        "events": [
            EventOut(
                action=e.action,
                action_label=str(e.get_action_display()),
                at=e.at,
                actor=(e.actor.get_full_name() or e.actor.get_username()) if e.actor else "",
                from_state=e.from_state,
                to_state=e.to_state,
                note=e.note,
                photos=by_event.get(e.pk, []),
            )
            for e in events
        ],
        "actions": policy.actions_for(ticket, who.scope, who.user.pk),
    }


@router.get("/{number}", response={200: TicketDetail, 304: None, **ERRORS}, summary="工单详情（含时间线和照片）")
@decorate_view(private, conditional)
def ticket_detail(request: HttpRequest, number: str) -> dict:
    who = caller(request)
    return ticket_detail_of(who, _ticket_for(who, number))


class TicketIn(Schema):
    """What the 登记问题 page asks, by id."""

    district: str = Field(..., max_length=16, description="区代码，例如 TX")
    category: int = Id(..., description="问题类别（编号）")
    description: str = Field(..., max_length=2000)
    point: int | None = Id(None, description="点位（编号）；不填时写 place 和 street")
    place: str | None = Field(None, max_length=200)
    street: int | None = Id(None)
    responsible_unit: int | None = Id(None, description="直接交办给的责任单位")
    responsible_person: str | None = Field(None, max_length=50)
    deadline: str | None = Field(None, description="整改时限 YYYY-MM-DD")
    deadline_workdays: int | None = Field(None, ge=1, le=60)
    checklist_item: int | None = Id(None)
    submission: str | None = Field(None, max_length=64, description="一次性提交编号（也可放在 Idempotency-Key 头里）")


def _district_for(who: Caller, code: str) -> OrgUnit:
    district = OrgUnit.objects.filter(code=code.upper(), pk__in=who.scope.district_ids).first()
    if district is None:
        raise Http404(_("没有这个区，或您无权查看。"))
    return district


def log_ticket(request: HttpRequest, who: Caller, values: dict, files: Any) -> Status:
    """Log a problem as the token's account, through the 登记问题 page's form and verb: 201 and
    the new ticket, or 200 and the ticket its submission key made before."""
    district = _district_for(who, values["district"])
    if not who.scope.can_log(district.pk):
        raise ApiError(403, "forbidden", _("您的角色只能查看，不能登记问题。"))
    campaign = running_campaign(district, choices_version())
    if campaign is None:
        raise ApiError(409, "no_campaign", _("本区没有进行中的活动，不能登记问题。"))
    if not is_submission_key(values.get("submission")):
        raise ApiError(
            400, "idempotency_key_required", _("请在 Idempotency-Key 头里给一个 16～64 位的一次性提交编号。")
        )
    form = TicketLogForm(_as_form_data(values), files, campaign=campaign, user=who.user)
    form.is_valid()
    try:
        submission_check(form.submission_key, who.user, SubmissionKind.TICKET_LOG)
    except SubmissionRepeated as repeated:  # sent before: its ticket, and nothing new
        return Status(200, ticket_detail_of(who, Ticket.objects.get(pk=repeated.first.object_id)))
    except SubmissionRefused as refused:
        raise ApiError(409, "idempotency_key_used", refused.message) from None
    if not form.is_valid():
        raise _form_refusal(form)
    cleaned = form.cleaned_data
    try:
        ticket = workflow.ticket_log(
            actor=who.user,
            campaign=campaign,
            category=cleaned["category"],
            description=cleaned["description"],
            photos=form.keep_photos,
            street=cleaned.get("street"),
            point=cleaned.get("point"),
            place=cleaned.get("place", ""),
            assignment=form.assignment(),
            checklist_item=cleaned.get("checklist_item"),
            submission_key=form.submission_key,
        )
    except SubmissionRepeated as repeated:  # the same key, sent at the same instant, won
        form.photos_rolled_back()
        return Status(200, ticket_detail_of(who, Ticket.objects.get(pk=repeated.first.object_id)))
    except SubmissionRefused as refused:
        form.photos_rolled_back()
        raise ApiError(409, "idempotency_key_used", refused.message) from None
    except workflow.WorkflowError:
        form.photos_rolled_back()
        raise
    return Status(201, ticket_detail_of(who, ticket))


@router.post("/", response={201: TicketDetail, 200: TicketDetail, **WRITE}, summary="登记问题（幂等）")
def ticket_create(
    request: HttpRequest,
    data: Form[TicketIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    who = require_write(request)
    values = data.dict()
    values["submission"] = idempotency_key or data.submission
    return log_ticket(request, who, values, request.FILES)


# --- the acts: one endpoint each, the page's form and the page's verb -------------------------


# --- photos: the evidence, read with the same token --------------------------------------------

photos_router = Router(tags=["photos"])


def _photo_for(request: HttpRequest, pk: int) -> TicketPhoto:
    who = caller(request)
    photo = (
        TicketPhoto.objects.select_related("ticket")
        .filter(pk=pk, ticket__district_id__in=who.scope.district_ids)
        .first()
    )
    if photo is None:
        raise Http404(_("没有这张照片，或您无权查看。"))
    return photo


def _serve(field: Any, content_type: str) -> HttpResponse:
    try:
        handle = field.open("rb")
    except OSError:
        raise Http404(_("照片文件不在了。")) from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


PHOTO = {200: None, **ERRORS}


@photos_router.get("/{pk}", response=PHOTO, summary="照片原图")
def photo(request: HttpRequest, pk: Annotated[int, Path(ge=1, le=MAX_ID)]) -> HttpResponse:
    found = _photo_for(request, pk)
    # The full picture is evidence leaving the ledger, as on the pages.
    audit_record(
        AuditKind.DOWNLOAD,
        request=request,
        user=caller(request).user,
        district=found.ticket.district_id,
        target=f"{found.ticket.number} photo {found.pk} (api)",
    )
    return _serve(found.image, found.content_type)


@photos_router.get("/{pk}/thumb", response=PHOTO, summary="照片缩略图")
def photo_thumb(request: HttpRequest, pk: Annotated[int, Path(ge=1, le=MAX_ID)]) -> HttpResponse:
    found = _photo_for(request, pk)
    if not found.thumbnail:
        return _serve(found.image, found.content_type)
    return _serve(found.thumbnail, "image/jpeg")
