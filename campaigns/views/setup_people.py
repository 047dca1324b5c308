"""A district's people, as its admin enrols them: the list, one person, the Excel import.

New accounts get a one-time password. It is shown once — on the page that created the
account, or on the import's result page — and an import's passwords can be downloaded once
as a workbook (an audited export). They wait for that download in the admin's own session,
never in the database, and for a few minutes at most.
"""

import time
from dataclasses import asdict
from functools import partial
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import get_district_for_admin
from campaigns.forms.setup import ROLE_CHOICES, PeopleImportForm, PersonForm, RoleForm
from campaigns.models import AccountProfile, AuditKind, Membership, Role, SetupImport, SetupImportKind, SubmissionKind
from campaigns.once import SubmissionRefused, SubmissionRepeated, create_once, submission_answer, submission_repeat
from campaigns.privacy import mask_phone
from campaigns.services import people as people_service
from campaigns.services.xlsx_import import XLSX
from security.accounts import AccountRefused, membership_revoke
from security.audit import audit_record

from .imports import ImportPages, confirm_page, import_page, import_record, show_page, template_download

User = get_user_model()
PEOPLE_PER_PAGE = 50
# How long an import's one-time passwords wait in the session for their single download.
PASSWORDS_KEEP_SECONDS = 15 * 60

PEOPLE_IMPORT = ImportPages(
    owner="district",
    owner_arg="code",
    records=lambda district: SetupImport.objects.filter(district=district, kind=SetupImportKind.PEOPLE),
    form=PeopleImportForm,
    columns=people_service.COLUMNS,
    title=gettext_lazy("从 Excel 导入人员"),
    noun=gettext_lazy("人员"),
    upload_template="campaigns/setup_import.html",
    preview_template="campaigns/setup_import_preview.html",
    list_url="campaigns:setup-people",
    template_url="campaigns:setup-people-template",
    import_url="campaigns:setup-people-import",
    show_url="campaigns:setup-people-import-show",
    confirm_url="campaigns:setup-people-import-confirm",
    steps=(
        gettext_lazy("先建好单位（人员要填所属单位），再下载模板，每人一行；一人有几个角色就写几行。"),
        gettext_lazy("上传填好的 .xlsx 文件。系统先逐行检查，列出每一处问题；有问题时一行也不导入。"),
        gettext_lazy(
            "确认无误后导入。新账号的一次性初始密码只在结果页显示一次，可下载一次；已在本区的账号只添加角色。"
        ),
    ),
)


def _passwords_key(record_pk):
    return f"setup-passwords:{record_pk}"


@login_required
@require_GET
def people_page(request, code):
    district = get_district_for_admin(request.user, code)
    memberships = (
        people_service.district_people(district)
        .select_related("user", "unit")
        .order_by("unit__kind", "unit__order", "unit_id", "role", "user__username", "id")
    )
    query = (request.GET.get("q") or "").strip()[:50]
    role = request.GET.get("role", "")
    if query:
        memberships = memberships.filter(
            Q(user__username__icontains=query) | Q(user__first_name__icontains=query) | Q(unit__name__icontains=query)
        )
    if role in Role.values:
        memberships = memberships.filter(role=role)
    page = Paginator(memberships, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    for membership in page:
        membership.phone_shown = mask_phone(membership.phone)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "campaigns/setup_people.html",
        {
            "district": district,
            "page": page,
            "q": query,
            "role": role,
            "roles": ROLE_CHOICES,
            "page_query": params.urlencode(),
            "filtered": bool(query or role),
        },
    )


def _person_in(district, pk):
    return get_object_or_404(
        User.objects.filter(pk__in=people_service.district_people(district).values("user_id")), pk=pk
    )


def _person_page(request, district, person, role_form=None, status=200):
    memberships = (
        people_service.district_people(district).filter(user=person).select_related("unit").order_by("unit__name")
    )
    profile = AccountProfile.objects.filter(user=person).first()
    return render(
        request,
        "campaigns/setup_person.html",
        {
            "district": district,
            "person": person,
            "memberships": memberships,
            "must_change": bool(profile and profile.must_change_password),
            "role_form": role_form or RoleForm(district=district),
            "is_self": person.pk == request.user.pk,
        },
        status=status,
    )


@login_required
@require_GET
def person_detail(request, code, pk):
    """One person's roles in this district, with the full phone (the district's admins may see it)."""
    district = get_district_for_admin(request.user, code)
    return _person_page(request, district, _person_in(district, pk))


def _enrol(request, district, form):
    """The account and its role, made once however often the form is sent: (user, one-time password)."""
    data = form.cleaned_data
    issued = []

    def create():
        user, password = people_service.person_create(
            district=district,
            actor=request.user,
            username=data["username"],
            full_name=data["full_name"],
            unit=data["unit"],
            role=data["role"],
            phone=data["phone"],
        )
        issued.append(password)
        return user

    user = create_once(
        request,
        form,
        SubmissionKind.PERSON,
        create,
        lambda made: reverse("campaigns:setup-person", args=[district.code, made.pk]),
    )
    return user, issued[0]


@login_required
def person_new(request, code):
    district = get_district_for_admin(request.user, code)
    form = PersonForm(request.POST or None, district=district)
    existing = None
    if request.method == "POST":
        if form.is_valid():
            existing = people_service.existing_in_district(form.cleaned_data["username"], district)
        # After the lookup: the one "already here" may be whom this very form enrolled a moment ago.
        if (answer := submission_repeat(request, form, SubmissionKind.PERSON)) is not None:
            return answer  # sent twice: the person the first send enrolled (the password is not shown again)
        if form.is_valid():
            data = form.cleaned_data
            if existing is not None:
                form.add_error(
                    "username",
                    _("账号“%(username)s”已在本区。要给他添加角色，请打开他的人员页面。")
                    % {"username": existing.get_username()},
                )
            else:
                try:
                    user, password = _enrol(request, district, form)
                except SubmissionRepeated as repeated:
                    return submission_answer(request, repeated)
                except SubmissionRefused as refused:
                    form.submission_refuse(refused.message)
                except AccountRefused:
                    form.add_error(
                        "username",
                        _(
                            "账号“%(username)s”已被占用，每人一个账号。请换一个账号名；如果是同一个人，请联系安全管理员。"
                        )
                        % {"username": data["username"]},
                    )
                else:
                    return render(
                        request,
                        "campaigns/setup_password_issued.html",
                        {"district": district, "person": user, "password": password},
                    )
        status = 400
    else:
        status = 200
    return render(
        request,
        "campaigns/setup_person_form.html",
        {"district": district, "form": form, "existing": existing},
        status=status,
    )


@login_required
@require_POST
def person_role_add(request, code, pk):
    district = get_district_for_admin(request.user, code)
    person = _person_in(district, pk)
    form = RoleForm(request.POST, district=district)
    if form.is_valid():
        data = form.cleaned_data
        try:
            people_service.person_role_add(
                district=district,
                actor=request.user,
                user=person,
                unit=data["unit"],
                role=data["role"],
                phone=data["phone"],
            )
        except AccountRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("已授予角色。"))
            return redirect("campaigns:setup-person", code=district.code, pk=person.pk)
    return _person_page(request, district, person, form, status=400)


@login_required
@require_POST
def person_role_remove(request, code, pk, membership_id):
    district = get_district_for_admin(request.user, code)
    person = _person_in(district, pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "unit"), pk=membership_id, user=person, unit__district=district
    )
    try:
        membership_revoke(actor=request.user, membership=membership)
    except AccountRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("已收回角色。"))
    if people_service.district_people(district).filter(user=person).exists():
        return redirect("campaigns:setup-person", code=district.code, pk=person.pk)
    return redirect("campaigns:setup-people", code=district.code)


# --- the import -------------------------------------------------------------------------


@login_required
@require_GET
def people_template(request, code):
    district = get_district_for_admin(request.user, code)
    return template_download(people_service.people_template(district), "people-template.xlsx")


@login_required
def people_import(request, code):
    district = get_district_for_admin(request.user, code)
    return import_page(
        request, PEOPLE_IMPORT, district, partial(people_service.people_import_upload, district=district)
    )


@login_required
@require_GET
def people_import_show(request, code, import_id):
    district = get_district_for_admin(request.user, code)
    return show_page(
        request,
        PEOPLE_IMPORT,
        district,
        import_id,
        lambda record: people_service.people_import_preview(record, request.user),
    )


@login_required
@require_POST
def people_import_confirm(request, code, import_id):
    district = get_district_for_admin(request.user, code)
    issued = []

    def confirm(record, ticked):
        preview, made = people_service.people_import_confirm(record=record, actor=request.user, ticked=ticked)
        issued.extend(made)
        return preview

    def done(record):
        if issued:
            request.session[_passwords_key(record.pk)] = {
                "until": time.time() + PASSWORDS_KEEP_SECONDS,
                "people": [asdict(person) for person in issued],
            }
        # Rendered here, not after a redirect: reloading this page cannot show the passwords again.
        return render(
            request,
            "campaigns/setup_people_imported.html",
            {"district": district, "record": record, "issued": issued, "minutes": PASSWORDS_KEEP_SECONDS // 60},
        )

    return confirm_page(request, PEOPLE_IMPORT, district, import_id, confirm, done)


@login_required
@require_POST
def people_import_passwords(request, code, import_id):
    """The import's one-time passwords as a workbook, once: the download is audited and ends them."""
    district = get_district_for_admin(request.user, code)
    record = import_record(PEOPLE_IMPORT, district, import_id)
    kept = request.session.pop(_passwords_key(record.pk), None)
    if not kept or kept.get("until", 0) < time.time():
        return render(
            request, "campaigns/setup_passwords_gone.html", {"district": district, "record": record}, status=410
        )
    name = _("%(district)s新账号初始密码-%(date)s.xlsx") % {
        "district": district.name,
        "date": timezone.localdate().isoformat(),
    }
    audit_record(
        AuditKind.EXPORT,
        request=request,
        district=district.pk,
        target=name,
        what="one-time passwords",
        setup_import=record.pk,
        accounts=[person["username"] for person in kept["people"]],
    )
    response = HttpResponse(people_service.passwords_workbook(district, kept["people"]), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(name)
    response["Cache-Control"] = "no-store"
    return response
