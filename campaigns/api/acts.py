"""/api/v1/tickets/{number}/<act>: the acts a token's account may do, each through the page's
own form (campaigns/forms/acts.py) and verb (campaigns/workflow) — one set of rules."""

from collections.abc import Callable
from typing import Annotated, Any

from django import forms
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from campaigns import policy, workflow
from campaigns.forms.acts import action_form
from campaigns.models import TicketAction

from .common import MAX_ID, ApiError, Id, require_write
from .schemas import TicketDetail
from .tickets import WRITE, _as_form_data, _form_refusal, _ticket_for, ticket_detail_of

router = Router(tags=["tickets"])


class NoteIn(Schema):
    note: str | None = Field(None, max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=1000)


class ReturnIn(ReasonIn):
    deadline: str | None = Field(None, description="新的整改时限 YYYY-MM-DD")


class ReopenIn(ReasonIn):
    deadline: str = Field(..., description="新的整改时限 YYYY-MM-DD")


class AssignIn(Schema):
    responsible_unit: int = Id(...)
    responsible_person: str | None = Field(None, max_length=50)
    responsible_phone: str | None = Field(None, max_length=30)
    deadline: str | None = Field(None, description="YYYY-MM-DD；或 deadline_workdays")
    deadline_workdays: int | None = Field(None, ge=1, le=60)
    work_group: int | None = Id(None)
    checklist_item: int | None = Id(None)
    co_units: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = None
    note: str | None = Field(None, max_length=1000)


class DeclineIn(ReasonIn):
    suggested_unit: int | None = Id(None, description="认为应由哪个单位负责")


class ReassignIn(ReasonIn):
    responsible_unit: int = Id(...)
    responsible_person: str | None = Field(None, max_length=50)
    responsible_phone: str | None = Field(None, max_length=30)
    deadline: str | None = Field(None, description="YYYY-MM-DD；或 deadline_workdays")
    deadline_workdays: int | None = Field(None, ge=1, le=60)
    co_units: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = None


class ApproveExtensionIn(Schema):
    deadline: str | None = Field(None, description="延至 YYYY-MM-DD；不填按申请的日期")
    note: str | None = Field(None, max_length=1000)


class UrgeIn(Schema):
    note: str = Field(..., max_length=1000)


class ExtensionIn(ReasonIn):
    until: str = Field(..., description="申请延期至 YYYY-MM-DD")


Perform = Callable[[Any, forms.Form, Any], None]


def _assign(ticket: Any, form: forms.Form, user: Any) -> None:
    data = form.cleaned_data
    workflow.ticket_assign(
        ticket=ticket,
        actor=user,
        unit=data["responsible_unit"],
        person=data.get("responsible_person", ""),
        phone=data.get("responsible_phone", ""),
        deadline=data["deadline"],
        work_group=data.get("work_group"),
        note=data.get("note", ""),
        checklist_item=data.get("checklist_item"),
        co_units=list(data.get("co_units") or ()),
    )


def _sign(ticket: Any, form: forms.Form, user: Any) -> None:
    workflow.ticket_sign(ticket=ticket, actor=user, note=form.cleaned_data.get("note", ""))


def _submit_fix(ticket: Any, form: Any, user: Any) -> None:
    workflow.ticket_submit_fix(ticket=ticket, actor=user, note=form.cleaned_data["note"], photos=form.kept_photos)


def _close_out(ticket: Any, form: Any, user: Any) -> None:
    workflow.ticket_close_out(
        ticket=ticket, actor=user, note=form.cleaned_data.get("note", ""), photos=form.kept_photos
    )


def _return(ticket: Any, form: forms.Form, user: Any) -> None:
    data = form.cleaned_data
    workflow.ticket_return(ticket=ticket, actor=user, reason=data["reason"], deadline=data.get("deadline"))


def _reopen(ticket: Any, form: forms.Form, user: Any) -> None:
    data = form.cleaned_data
    workflow.ticket_reopen(ticket=ticket, actor=user, reason=data["reason"], deadline=data["deadline"])


def _decline(ticket: Any, form: forms.Form, user: Any) -> None:
    data = form.cleaned_data
    workflow.ticket_decline(ticket=ticket, actor=user, reason=data["reason"], suggested_unit=data.get("suggested_unit"))


def _request_extension(ticket: Any, form: Any, user: Any) -> None:
    data = form.cleaned_data
    workflow.ticket_request_extension(
        ticket=ticket, actor=user, until=data["until"], reason=data["reason"], photos=form.kept_photos
    )


def _reassign(ticket: Any, form: forms.Form, user: Any) -> None:
    data = form.cleaned_data
    workflow.ticket_reassign(
        ticket=ticket,
        actor=user,
        unit=data["responsible_unit"],
        deadline=data["deadline"],
        reason=data["reason"],
        person=data.get("responsible_person", ""),
        phone=data.get("responsible_phone", ""),
        seen_unit=data.get("seen_unit"),
        co_units=list(data.get("co_units") or ()) or None,
    )


def _urge(ticket: Any, form: forms.Form, user: Any) -> None:
    workflow.ticket_urge(ticket=ticket, actor=user, note=form.cleaned_data["note"])


def _approve_extension(ticket: Any, form: forms.Form, user: Any) -> None:
    data = form.cleaned_data
    workflow.ticket_approve_extension(
        ticket=ticket, actor=user, deadline=data.get("deadline"), note=data.get("note", "")
    )


def _reject_extension(ticket: Any, form: forms.Form, user: Any) -> None:
    workflow.ticket_reject_extension(ticket=ticket, actor=user, reason=form.cleaned_data["reason"])


def _review(ticket: Any, form: Any, user: Any) -> None:
    workflow.ticket_review(ticket=ticket, actor=user, note=form.cleaned_data.get("note", ""), photos=form.kept_photos)


def _void(ticket: Any, form: forms.Form, user: Any) -> None:
    workflow.ticket_void(ticket=ticket, actor=user, reason=form.cleaned_data["reason"])


def run_act(request: HttpRequest, number: str, action: str, values: dict, perform: Perform) -> dict:
    """Authorise (the token's districts, the owner's role), check the page's form, run the verb."""
    who = require_write(request)
    ticket = _ticket_for(who, number)
    if not policy.role_allows(action, ticket, who.scope):
        raise ApiError(403, "forbidden", _("您的角色不能对这张工单执行此操作。"))
    form: Any = action_form(action, ticket, who.user, _as_form_data(values), request.FILES)
    if not form.is_valid():
        raise _form_refusal(form)
    target = workflow.TicketRef(number, who.scope.district_ids)
    with_photos = hasattr(form, "keep_photos")
    try:
        with transaction.atomic():  # the photos and the act commit together
            if with_photos:
                form.keep_photos()
            perform(target, form, who.user)
    except workflow.TicketNotFound:
        raise Http404(_("没有这张工单，或您无权查看。")) from None
    except workflow.WorkflowError:
        if with_photos:
            form.photos_rolled_back()
        raise
    return ticket_detail_of(who, ticket)


ACT = {200: TicketDetail, **WRITE}


@router.post("/{number}/assign", response=ACT, summary="交办")
def act_assign(request: HttpRequest, number: str, data: Form[AssignIn]) -> dict:
    return run_act(request, number, TicketAction.ASSIGN, data.dict(), _assign)


@router.post("/{number}/sign", response=ACT, summary="签收")
def act_sign(request: HttpRequest, number: str, data: Form[NoteIn]) -> dict:
    return run_act(request, number, TicketAction.SIGN, data.dict(), _sign)


@router.post("/{number}/decline", response=ACT, summary="退单（不归本单位）")
def act_decline(request: HttpRequest, number: str, data: Form[DeclineIn]) -> dict:
    return run_act(request, number, TicketAction.DECLINE, data.dict(), _decline)


@router.post("/{number}/ext-request", response=ACT, summary="申请延期")
def act_request_extension(
    request: HttpRequest,
    number: str,
    data: Form[ExtensionIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict:
    return run_act(request, number, TicketAction.REQUEST_EXTENSION, data.dict(), _request_extension)


@router.post("/{number}/submit-fix", response=ACT, summary="提交整改（附整改后照片）")
def act_submit_fix(
    request: HttpRequest,
    number: str,
    data: Form[NoteIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict:
    return run_act(request, number, TicketAction.SUBMIT_FIX, data.dict(), _submit_fix)


@router.post("/{number}/close-out", response=ACT, summary="核验销号")
def act_close_out(
    request: HttpRequest,
    number: str,
    data: Form[NoteIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict:
    return run_act(request, number, TicketAction.CLOSE_OUT, data.dict(), _close_out)


@router.post("/{number}/return", response=ACT, summary="退回")
def act_return(request: HttpRequest, number: str, data: Form[ReturnIn]) -> dict:
    return run_act(request, number, TicketAction.RETURN, data.dict(), _return)


@router.post("/{number}/reopen", response=ACT, summary="重新打开（反弹）")
def act_reopen(request: HttpRequest, number: str, data: Form[ReopenIn]) -> dict:
    return run_act(request, number, TicketAction.REOPEN, data.dict(), _reopen)


@router.post("/{number}/void", response=ACT, summary="撤销")
def act_void(request: HttpRequest, number: str, data: Form[ReasonIn]) -> dict:
    return run_act(request, number, TicketAction.VOID, data.dict(), _void)


@router.post("/{number}/reassign", response=ACT, summary="改派")
def act_reassign(request: HttpRequest, number: str, data: Form[ReassignIn]) -> dict:
    return run_act(request, number, TicketAction.REASSIGN, data.dict(), _reassign)


@router.post("/{number}/urge", response=ACT, summary="催办")
def act_urge(request: HttpRequest, number: str, data: Form[UrgeIn]) -> dict:
    return run_act(request, number, TicketAction.URGE, data.dict(), _urge)


@router.post("/{number}/ext-approve", response=ACT, summary="同意延期")
def act_approve_extension(request: HttpRequest, number: str, data: Form[ApproveExtensionIn]) -> dict:
    return run_act(request, number, TicketAction.APPROVE_EXTENSION, data.dict(), _approve_extension)


@router.post("/{number}/ext-reject", response=ACT, summary="驳回延期")
def act_reject_extension(request: HttpRequest, number: str, data: Form[ReasonIn]) -> dict:
    return run_act(request, number, TicketAction.REJECT_EXTENSION, data.dict(), _reject_extension)


@router.post("/{number}/review", response=ACT, summary="复核（多级销号中销号前的一级）")
def act_review(
    request: HttpRequest,
    number: str,
    data: Form[NoteIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict:
    return run_act(request, number, TicketAction.REVIEW, data.dict(), _review)
