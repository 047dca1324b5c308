"""Ticket pages: the list, logging a problem, the ticket page and one POST view per act."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import workflow
from campaigns.access import (
    default_district,
    get_district_for_user,
    get_ticket_for_user,
    load_ticket_relations,
    scope_for,
    visible_tickets,
)
from campaigns.filters import TicketFilter
from campaigns.forms.acts import ACTION_FORMS, action_form, form_reads_ticket
from campaigns.forms.tickets import TicketLogForm
from campaigns.models import (
    OPEN_STATES,
    InspectionPoint,
    Membership,
    PhotoKind,
    SubmissionKind,
    Ticket,
    TicketAction,
    TicketEvent,
)
from campaigns.once import (
    SUBMISSION_FIELD,
    SubmissionRefused,
    SubmissionRepeated,
    submission_answer,
    submission_repeat,
)
from campaigns.privacy import phone_for
from campaigns.reference import choices_version, running_campaign
from campaigns.selectors.chain import chain_shown
from campaigns.selectors.duplicates import duplicate_sources, duplicate_suggestions, suspected_ids
from campaigns.selectors.evidence import photo_checks
from campaigns.services.submissions import is_submission_key, submission_check, submission_claim, submission_once
from infra.fragments import cached_fragment


class CountedPaginator(Paginator):
    """A paginator told its count (from the rollup) instead of counting the rows again."""

    def __init__(self, object_list: QuerySet, per_page: int, count: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return super().count if self.known_count is None else self.known_count


def _manages_any(request: HttpRequest) -> bool:
    scope = scope_for(request.user)
    return any(scope.can_manage(district_id) for district_id in scope.district_ids)


def _ticket_list_body(request: HttpRequest) -> SafeString:
    tickets = visible_tickets(request.user)
    ticket_filter = TicketFilter(request.GET or None, queryset=tickets, user=request.user)
    # Page through ids only (an index-only scan), then load the 25 rows shown: a deep page
    # costs the same as the first.
    paginator = CountedPaginator(
        ticket_filter.qs.values_list("id", flat=True), settings.TICKETS_PER_PAGE, count=ticket_filter.tally_count()
    )
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    rows = {ticket.pk: ticket for ticket in Ticket.objects.for_rows().filter(pk__in=ids)}
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    if _manages_any(request):  # 疑似重复 is the supervisors' to decide: marked for them only
        for pk in suspected_ids(rows):
            rows[pk].suspected_duplicate = True
    query = request.GET.copy()
    query.pop("page", None)
    return render_to_string(
        "partials/ticket_list_body.html",
        {
            "filter": ticket_filter,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(query),
            "active_filters": sum(1 for key, value in query.items() if value and key in ticket_filter.filters),
            "show_district": len(scope_for(request.user).district_ids) > 1,
        },
    )


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    # The list is the same for everyone who sees the same districts (and, for "mine", units);
    # it is rendered once per write in those districts.
    parts = (
        "list-v1",
        request.GET.urlencode(),
        sorted(scope.unit_ids) if request.GET.get("mine") else "",
        timezone.localdate(),  # overdue counts from today
        "dup" if _manages_any(request) else "",
    )
    body = cached_fragment("ticket-list", parts, scope.district_ids, lambda: _ticket_list_body(request))
    return render(request, "campaigns/ticket_list.html", {"list_body": body})


def _point_asked_for(request: HttpRequest) -> InspectionPoint | None:
    """The point in ?point= (a scanned sticker), if it is active and in a district where this
    person may log problems; anything else is ignored and the form starts empty."""
    value = request.GET.get("point", "")
    if not value.isdigit() or len(value) > 18:
        return None
    scope = scope_for(request.user)
    loggable = [district_id for district_id in scope.district_ids if scope.can_log(district_id)]
    return (
        InspectionPoint.objects.select_related("district", "unit", "street")
        .filter(pk=int(value), is_active=True, district_id__in=loggable)
        .first()
    )


@login_required
def ticket_log(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("district")
    point = _point_asked_for(request)
    if code:
        district = get_district_for_user(request.user, code)
        if point is not None and point.district_id != district.pk:
            point = None
    else:
        district = point.district if point is not None else default_district(request.user)
    if district is None:
        raise Http404(_("您的账号还没有加入任何区。"))
    if not scope_for(request.user).can_log(district.pk):
        raise PermissionDenied(_("您的角色只能查看，不能登记问题。"))
    campaign = running_campaign(district, choices_version())
    if campaign is None:
        return render(request, "campaigns/ticket_log.html", {"district": district, "campaign": None})
    kwargs = {"campaign": campaign, "user": request.user, "point": point}
    if request.method != "POST":
        home_street_id = (
            Membership.objects.filter(user=request.user, unit__district=district, unit__street__isnull=False)
            .values_list("unit__street_id", flat=True)
            .first()
        )
        form = TicketLogForm(initial={"street": home_street_id}, **kwargs)
        return render(request, "campaigns/ticket_log.html", {"form": form, "campaign": campaign, "district": district})

    form = TicketLogForm(request.POST, request.FILES, **kwargs)
    # A form sent before is answered with its ticket, even if it would not pass the checks
    # now (the deadline it gave is past, its point was retired), and before a photo is stored.
    if (answer := submission_repeat(request, form, SubmissionKind.TICKET_LOG)) is not None:
        return answer
    if form.is_valid():
        data = form.cleaned_data
        try:
            # The photos are stored inside the verb's transaction: they commit with the ticket,
            # and so does the form's key.
            ticket = workflow.ticket_log(
                actor=request.user,
                campaign=campaign,
                category=data["category"],
                description=data["description"],
                photos=form.keep_photos,
                street=data.get("street"),
                point=data.get("point"),
                place=data.get("place", ""),
                assignment=form.assignment(),
                checklist_item=data.get("checklist_item"),
                submission_key=form.submission_key,
            )
        except SubmissionRepeated as repeated:  # the same form, sent at the same instant, won
            form.photos_rolled_back()
            return submission_answer(request, repeated)
        except SubmissionRefused as refused:
            form.photos_rolled_back()
            form.submission_refuse(refused.message)
        except workflow.ActionForbidden as exc:
            raise PermissionDenied(exc.message) from None
        except workflow.WorkflowError as exc:
            form.photos_rolled_back()
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记，台账编号 %(number)s。") % {"number": ticket.number})
            return redirect("campaigns:ticket-detail", number=ticket.number)
    # Whatever went wrong, the photos that were fine are kept for the next try.
    form.keep_photos()
    return render(
        request,
        "campaigns/ticket_log.html",
        {"form": form, "campaign": campaign, "district": district},
        status=400,
    )


def _ticket_shown(ticket: Ticket, phone: str) -> dict[str, object]:
    """What the ticket page shows of the ticket: its facts, photos and timeline."""
    load_ticket_relations(ticket)
    photos = list(ticket.photos.all().select_related("reused_of__ticket").order_by("uploaded_at", "id"))
    photos_by_event: dict[int, list] = {}
    for photo in photos:
        photos_by_event.setdefault(photo.event_id, []).append(photo)
    events = list(TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id"))
    for event in events:
        event.photo_list = photos_by_event.get(event.pk, [])
    return {
        **chain_shown(ticket),
        "before_photos": [p for p in photos if p.kind == PhotoKind.BEFORE],
        "after_photos": [p for p in photos if p.kind == PhotoKind.AFTER],
        "photo_checks": photo_checks(ticket, photos),
        "events": events,
        "phone": phone,
    }


FACTS = "partials/ticket_facts.html"
TIMELINE = "partials/ticket_timeline.html"
SOURCES = "partials/ticket_sources.html"
ACTION_FIELDS = "partials/action_fields.html"
# An empty form of these acts reads nothing but the day: it is the same for everyone and kept
# with the ticket's page. Forms built from the ticket (交办, 改派, 退单 … offer the district's
# units, lines and tasks, which setup changes without a ticket write) are rendered each time.
KEPT_FORMS = frozenset(action for action, form in ACTION_FORMS.items() if not getattr(form, "needs_ticket", False))
# Which of them send photos (the <form> needs multipart), known from the class without building one.
# Acts done in the street, which a phone without signal queues to send later (static/js/offline.js).
OFFLINE_ACTS = frozenset(
    {TicketAction.SUBMIT_FIX, TicketAction.SUBMIT_PART, TicketAction.RECHECK_KEPT, TicketAction.RECHECK_RELAPSED}
)
MULTIPART_FORMS = frozenset(
    action
    for action in KEPT_FORMS
    if any(field.widget.needs_multipart_form for field in ACTION_FORMS[action].base_fields.values())
)


def _action_fields(action: str, form: Form) -> SafeString:
    return render_to_string(ACTION_FIELDS, {"action": action, "form": form})


def _render_detail(
    request: HttpRequest,
    ticket: Ticket,
    actions: list[str],
    bound: tuple[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    scope = scope_for(request.user)
    phone = phone_for(scope, ticket.district_id, ticket.responsible_unit_id, ticket.responsible_phone)
    action_forms = []
    shown_actions = [a for a in actions if a in ACTION_FORMS]
    # The main act (the first primary one: 签收, 提交整改, 核验销号 …) is ready to use.
    main = next((a for a in shown_actions if workflow.ALLOWED_TRANSITIONS[a].style == "primary"), None)
    # Without one, the first act that undoes nothing: a unit that has just signed should not
    # land on an open 退单 form, nor a supervisor on 撤销.
    main = main or next(
        (a for a in shown_actions if workflow.ALLOWED_TRANSITIONS[a].style not in ("warning", "danger")), None
    )
    for action in shown_actions:
        form = None
        if bound and bound[0] == action:
            form = bound[1]
        elif action not in KEPT_FORMS:
            form = action_form(action, ticket, request.user)
        # An empty form of a kept act is built only when its fields are rendered (below, on a
        # miss of the kept page): most views of a ticket find them ready.
        action_forms.append(
            {
                "action": action,
                "transition": workflow.ALLOWED_TRANSITIONS[action],
                "form": form,
                "multipart": form.is_multipart() if form is not None else action in MULTIPART_FORMS,
                "url": reverse(f"campaigns:ticket-{action.replace('_', '-')}", args=[ticket.number]),
                # The form that failed stays open; otherwise the main act.
                "open": bound[0] == action if bound else action == main,
                "failed": bool(form is not None and bound and bound[0] == action and form.errors),
                "offline": action in OFFLINE_ACTS,
            }
        )
    kept = [item["action"] for item in action_forms if item["form"] is None]

    def empty_fields(action: str) -> SafeString:
        return _action_fields(action, action_form(action, ticket, request.user))

    # What the page shows of the ticket is the same for everyone who sees the phone the same
    # way, until the next write in its district: its facts, its timeline and the empty forms
    # of the acts this person may do are kept as one versioned entry (the CSRF token around
    # each form is the person's own and rendered each time).
    def shown() -> tuple[SafeString, SafeString, dict[str, SafeString]]:
        context: dict[str, object] = {"ticket": ticket, **_ticket_shown(ticket, phone)}
        context["sources"] = duplicate_sources(ticket, context["events"])
        fields = {action: empty_fields(action) for action in kept}
        facts = render_to_string(FACTS, context) + render_to_string(SOURCES, context)  # SafeStrings already
        return facts, render_to_string(TIMELINE, context), fields

    # Overdue days and a form's suggested deadline count from today.
    parts = [ticket.number, phone, timezone.localdate(), *kept]
    facts, timeline, kept_fields = cached_fragment("ticket-page-v2", parts, [ticket.district_id], shown)
    for item in action_forms:
        if item["form"] is not None:
            item["fields"] = _action_fields(item["action"], item["form"])
        else:
            item["fields"] = kept_fields.get(item["action"]) or empty_fields(item["action"])
    return render(
        request,
        "campaigns/ticket_detail.html",
        {
            "ticket": ticket,
            "facts": facts,
            "timeline": timeline,
            "action_forms": action_forms,
            # The pairs to decide, with their forms (the person's own CSRF token): supervisors
            # only, and only while the ticket is open (a closed one has nothing left to decide).
            "suggestions": duplicate_suggestions(ticket)
            if ticket.state in OPEN_STATES and scope.can_manage(ticket.district_id)
            else [],
            "four_eyes_blocked": ticket.state == "submitted"
            and ticket.fix_submitted_by_id == request.user.pk
            and scope.can_manage(ticket.district_id),
        },
        status=status,
    )


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket, actions = get_ticket_for_user(request, number)
    return _render_detail(request, ticket, actions)


def run_act(request, number, action, perform):
    """Run one act from its POST form; on a problem, show the ticket page with the form as typed.

    Acts whose form is built from the ticket, or which store sent photos before the act, read
    the ticket (and authorise the person) first. The others go straight to the verb, whose one
    locked read finds, scopes and locks the ticket.
    """
    ticket = None
    if form_reads_ticket(action, bool(request.FILES)):
        ticket, _actions = get_ticket_for_user(request, number, for_action=action)
    form = action_form(action, ticket, request.user, request.POST, request.FILES)
    with_photos = hasattr(form, "keep_photos")
    status = 400
    if form.is_valid():
        target = ticket or workflow.TicketRef(number, scope_for(request.user).district_ids)
        try:
            if with_photos and request.FILES:
                # The after-photos and the act commit together: one transaction, not two. (Photos
                # kept from an earlier try are stored already: the act alone is one transaction.)
                with transaction.atomic():
                    form.keep_photos()
                    perform(target, form)
            else:
                perform(target, form)
        except workflow.TicketNotFound:
            raise Http404("没有这张工单，或您无权查看。") from None
        except workflow.ActionForbidden as exc:
            raise PermissionDenied(exc.message) from None
        except workflow.WorkflowError as exc:
            if with_photos:
                form.photos_rolled_back()
            form.add_error(None, exc.message)
            status = 409
        else:
            label = workflow.ALLOWED_TRANSITIONS[action].label
            messages.success(request, _("%(number)s：%(action)s完成。") % {"number": number, "action": label})
            return redirect("campaigns:ticket-detail", number=number)
    else:
        # An invalid form on a ticket the person may not see or act on is still a 404 or 403.
        get_ticket_for_user(request, number, for_action=action)
    if with_photos:
        form.keep_photos()  # the photos that were fine wait for the next try
    # Re-read: the act may have been refused because someone else changed the ticket.
    ticket, actions = get_ticket_for_user(request, number)
    if action not in actions:
        actions = [*actions, action]
    return _render_detail(request, ticket, actions, bound=(action, form), status=status)


@login_required
@require_POST
def ticket_assign(request, number):
    def perform(ticket, form):
        data = form.cleaned_data
        workflow.ticket_assign(
            ticket=ticket,
            actor=request.user,
            unit=data["responsible_unit"],
            person=data.get("responsible_person", ""),
            phone=data.get("responsible_phone", ""),
            deadline=data["deadline"],
            work_group=data.get("work_group"),
            note=data.get("note", ""),
            checklist_item=data.get("checklist_item"),
            co_units=list(data.get("co_units") or ()),
        )

    return run_act(request, number, TicketAction.ASSIGN, perform)


@login_required
@require_POST
def ticket_sign(request, number):
    def perform(ticket, form):
        workflow.ticket_sign(ticket=ticket, actor=request.user, note=form.cleaned_data.get("note", ""))

    return run_act(request, number, TicketAction.SIGN, perform)


def _act_key(request: HttpRequest) -> str:
    key = request.POST.get(SUBMISSION_FIELD, "")
    return key if is_submission_key(key) else ""


def run_act_once(request, number, action, perform):
    """run_act for an act done in the street, which the offline queue may send twice (its
    answer lost in a tunnel). The queue's one-time key is claimed with the act, and a resend
    is answered with the ticket's page, as done, not refused. A page without JavaScript sends
    no key: the ticket's state alone refuses a second act. These acts send photos, so run_act
    runs them in one transaction, the claim with them."""
    key = _act_key(request)
    kind = SubmissionKind.TICKET_ACT
    try:
        if key:
            submission_check(key, request.user, kind)
    except SubmissionRepeated as repeated:
        return submission_answer(request, repeated)
    except SubmissionRefused:
        key = ""  # someone else's key: the act is judged on its own, and claims nothing

    def once(ticket, form):
        if key:
            url = reverse("campaigns:ticket-detail", args=[number])
            submission_claim(key=key, user=request.user, kind=kind, object_id=getattr(ticket, "pk", None), url=url)
        perform(ticket, form)

    try:
        with submission_once(key or None, request.user, kind):
            return run_act(request, number, action, once)
    except SubmissionRepeated as repeated:  # the same act, sent at the same instant, won
        return submission_answer(request, repeated)


@login_required
@require_POST
def ticket_submit_fix(request, number):
    def perform(ticket, form):
        workflow.ticket_submit_fix(
            ticket=ticket, actor=request.user, note=form.cleaned_data["note"], photos=form.kept_photos
        )

    return run_act_once(request, number, TicketAction.SUBMIT_FIX, perform)


@login_required
@require_POST
def ticket_close_out(request, number):
    def perform(ticket, form):
        workflow.ticket_close_out(
            ticket=ticket, actor=request.user, note=form.cleaned_data.get("note", ""), photos=form.kept_photos
        )

    return run_act(request, number, TicketAction.CLOSE_OUT, perform)


@login_required
@require_POST
def ticket_return(request, number):
    def perform(ticket, form):
        workflow.ticket_return(
            ticket=ticket,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            deadline=form.cleaned_data.get("deadline"),
        )

    return run_act(request, number, TicketAction.RETURN, perform)


@login_required
@require_POST
def ticket_reopen(request, number):
    def perform(ticket, form):
        workflow.ticket_reopen(
            ticket=ticket,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            deadline=form.cleaned_data["deadline"],
        )

    return run_act(request, number, TicketAction.REOPEN, perform)


@login_required
@require_POST
def ticket_void(request, number):
    def perform(ticket, form):
        workflow.ticket_void(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"])

    return run_act(request, number, TicketAction.VOID, perform)
