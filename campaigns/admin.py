"""Django admin for setting up units, people, campaigns, groups and points.

Tickets are shown read-only here: every change of a ticket goes through workflow.py, so
the admin can never strike a line off the ledger behind the timeline's back.
"""

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from security.audit import audit_record

from .access import scope_for
from .models import (
    OPEN_STATES,
    AccountProfile,
    AssessmentArea,
    AuditKind,
    Campaign,
    ClosingLevel,
    DailyReport,
    Delivery,
    Duty,
    HotlineCategory,
    HotlineSettings,
    HotlineStreet,
    InspectionPoint,
    Membership,
    OrgUnit,
    PointType,
    ProblemCategory,
    Recheck,
    ReportingDuty,
    ReportSchedule,
    Role,
    Supervision,
    Ticket,
    TicketCoUnit,
    TicketEvent,
    TicketPhoto,
    UnitKind,
    UnitWebhook,
    WorkGroup,
)
from .services.units import SETUP_KINDS

User = get_user_model()


def admin_district_ids(user):
    """Districts where this person holds the admin role: the only ones they may set up."""
    scope = scope_for(user)
    return {d for d, roles in scope.roles_by_district.items() if Role.ADMIN in roles}


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A sidebar filter on a relation that offers only what the person may administer.

    Django's own lists every row of the related table, so a district admin would read the
    names of other districts, their streets and campaigns in the sidebar.
    """

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        queryset = model_admin.narrow_choices(request, related, related._default_manager.all())
        if related is OrgUnit and field.name == "district":
            queryset = queryset.filter(kind=UnitKind.DISTRICT)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class DistrictScopedAdmin(admin.ModelAdmin):
    """A district admin sets up only their own district; superusers see everything.

    `district_path` is the lookup from the model to its district. Choices offered in
    forms (units, campaigns, people) are narrowed the same way, so a forged id from
    another district fails validation instead of being saved.
    """

    district_path = "district"

    def _ids(self, request):
        return admin_district_ids(request.user)

    def _allowed(self, request):
        return (
            request.user.is_active and request.user.is_staff and (request.user.is_superuser or bool(self._ids(request)))
        )

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def get_list_filter(self, request):
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self._is_relation(entry):
                entry = (entry, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

    def _is_relation(self, path):
        from django.contrib.admin.utils import get_fields_from_path

        return bool(get_fields_from_path(self.model, path)[-1].is_relation)

    def history_view(self, request, object_id, extra_context=None):
        # Django looks the object up before asking about permission, which would tell a
        # person without admin rights "does not exist" instead of "not yours to see".
        if not self.has_view_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def scope_filter(self, request):
        return Q(**{f"{self.district_path}__in": self._ids(request)})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(self.scope_filter(request))

    def narrow_choices(self, request, model, queryset):
        if request.user.is_superuser:
            return queryset
        ids = self._ids(request)
        if model is OrgUnit:
            return queryset.filter(district_id__in=ids)
        if model is Campaign:
            return queryset.filter(district_id__in=ids)
        if model is User:
            return queryset.filter(memberships__unit__district_id__in=ids).distinct()
        if hasattr(model, "campaign"):
            return queryset.filter(campaign__district_id__in=ids)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self.narrow_choices(request, db_field.related_model, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self.narrow_choices(request, db_field.related_model, field.queryset)
        return field


class ScopedInlinePermissions:
    """Inlines follow their parent page: a district admin may edit them on their own district's objects."""

    def _allowed(self, request):
        return (
            request.user.is_active
            and request.user.is_staff
            and (request.user.is_superuser or bool(admin_district_ids(request.user)))
        )

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


admin.site.unregister(User)
# Accounts, second factors and lockouts are the security admin's (三权分立): they live on
# the /security/ pages, not in the system admin's Django admin.
for _model in ("auth.Group", "otp_totp.TOTPDevice", "axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"):
    try:
        admin.site.unregister(apps.get_model(_model))
    except admin.sites.NotRegistered:
        pass


def _anothers_duty(request, user):
    """The system duty (安全/审计/系统管理员) of an account that is not the admin's own, or ""."""
    if user is None or user.pk == request.user.pk:
        return ""
    return AccountProfile.objects.filter(user=user).exclude(duty=Duty.NONE).values_list("duty", flat=True).first() or ""


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "is_active", "last_login"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if _anothers_duty(request, obj):
            # Where the holder's passwords are mailed: changed on the security admin's page,
            # which tells the old address (三权分立), never quietly here.
            fields.append("email")
        return fields

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        duty = _anothers_duty(request, user)
        if duty:
            # Whoever set it would know another duty holder's password and could sign in as them.
            self.message_user(
                request,
                gettext(
                    "账号“%(username)s”担任%(duty)s，其密码不能在这里设置：只能由安全管理员在“账号与角色”里重置，"
                    "新密码只发到本人邮箱（三权分立）。"
                )
                % {"username": user.get_username(), "duty": Duty(duty).label},
                level=messages.ERROR,
            )
            return redirect("admin:auth_user_change", user.pk)
        return super().user_change_password(request, id, form_url)


@admin.register(OrgUnit)
class OrgUnitAdmin(DistrictScopedAdmin):
    list_display = ["name", "kind", "code", "parent", "district", "is_active"]
    list_filter = ["kind", "district", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent", "district"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.kind not in SETUP_KINDS and not request.user.is_superuser:
            # Their own district: contacts and order may change, not its place or its code
            # (the code is in every ledger number).
            fields += ["kind", "parent", "code"]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if request.user.is_superuser:
            return form
        return _district_unit_form(form, self._ids(request))

    def save_model(self, request, obj, form, change):
        # The form already refused it; this holds for any other way into the admin's save.
        if not request.user.is_superuser and not _inside(obj, self._ids(request)):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


def _inside(unit, district_ids):
    """A unit a district admin may set up: below their district (a city, a district, or a
    unit without a parent would be outside every district they hold), or that district."""
    if unit.kind == UnitKind.DISTRICT and unit.pk is not None:
        return unit.pk in district_ids
    return unit.kind in SETUP_KINDS and unit.parent_id is not None and unit.parent.district_id in district_ids


def _district_unit_form(base, district_ids):
    class DistrictUnitForm(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if "kind" in self.fields:
                self.fields["kind"].choices = [
                    (k, label) for k, label in self.fields["kind"].choices if k in SETUP_KINDS
                ]

        def clean(self):
            data = super().clean()
            if "parent" not in self.fields:  # their own district: its place is read-only
                return data
            parent = data.get("parent")
            if parent is None or parent.district_id not in district_ids:
                self.add_error(
                    "parent",
                    _("只能在本区内新建或调整单位：上级单位须是本区，或本区的街道/乡镇。"),
                )
            return data

    return DistrictUnitForm


@admin.register(Membership)
class MembershipAdmin(DistrictScopedAdmin):
    district_path = "unit__district"
    list_display = ["user", "unit", "role", "phone"]
    list_filter = ["role", "unit__district"]
    search_fields = ["user__username", "user__first_name", "unit__name"]
    autocomplete_fields = ["unit"]
    list_select_related = ["user", "unit"]


class AssessmentAreaInline(ScopedInlinePermissions, admin.TabularInline):
    model = AssessmentArea
    extra = 0


class ClosingLevelInline(ScopedInlinePermissions, admin.TabularInline):
    """The campaign's 销号 levels (街道自查 → 专班复核 → 创卫办销号), in order."""

    model = ClosingLevel
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # A level's work group comes from the admin's own districts: a forged id fails validation.
        if db_field.name == "work_group" and field is not None and not request.user.is_superuser:
            field.queryset = field.queryset.filter(campaign__district_id__in=admin_district_ids(request.user))
        return field


@admin.register(Campaign)
class CampaignAdmin(DistrictScopedAdmin):
    list_display = ["name", "district", "kind", "status", "start_date", "inspection_date", "end_date"]
    list_filter = ["kind", "status", "district"]
    search_fields = ["name"]
    inlines = [AssessmentAreaInline, ClosingLevelInline]


@admin.register(AssessmentArea)
class AssessmentAreaAdmin(DistrictScopedAdmin):
    district_path = "campaign__district"
    list_display = ["code", "name", "campaign", "order"]
    list_filter = ["campaign"]
    search_fields = ["name"]


@admin.register(ProblemCategory)
class ProblemCategoryAdmin(DistrictScopedAdmin):
    district_path = "campaign__district"
    list_display = ["name", "area", "campaign", "default_deadline_days", "is_active"]
    list_filter = ["campaign", "area", "is_active"]
    search_fields = ["name"]
    list_select_related = ["area", "campaign"]


@admin.register(PointType)
class PointTypeAdmin(admin.ModelAdmin):
    """Point types are shared by every district; only system administrators change them."""

    list_display = ["name", "order"]
    search_fields = ["name"]


@admin.register(InspectionPoint)
class InspectionPointAdmin(DistrictScopedAdmin):
    list_display = ["name", "point_type", "unit", "street", "responsible_department", "is_active"]
    list_filter = ["district", "point_type", "is_active"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["unit", "responsible_department"]
    list_select_related = ["point_type", "unit", "street", "responsible_department"]


@admin.register(WorkGroup)
class WorkGroupAdmin(DistrictScopedAdmin):
    district_path = "campaign__district"
    list_display = ["name", "kind", "campaign", "leader_display"]
    list_filter = ["kind", "campaign"]
    search_fields = ["name"]
    filter_horizontal = ["members", "streets"]

    @admin.display(description=_("负责人"))
    def leader_display(self, obj):
        return obj.leader_display


class ReadOnlyAdmin(DistrictScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketEventInline(ScopedInlinePermissions, admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "actor", "from_state", "to_state", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChainMarkFilter(admin.SimpleListFilter):
    """超时未签收, 黄牌, 挂牌督办 among open tickets (the state filter already knows 待签收 and 挂账)."""

    title = _("督办标记")
    parameter_name = "mark"

    def lookups(self, request, model_admin):
        return [("sign_late", _("超时未签收")), ("yellow_card", _("黄牌")), ("supervised", _("挂牌督办"))]

    def queryset(self, request, queryset):
        if self.value() == "sign_late":
            return queryset.sign_late()
        if self.value() == "yellow_card":
            return queryset.filter(state__in=OPEN_STATES, yellow_card_at__isnull=False)
        if self.value() == "supervised":
            return queryset.filter(state__in=OPEN_STATES, supervised_at__isnull=False)
        return queryset


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "district", "street", "category", "responsible_unit", "deadline", "reported_at"]
    list_filter = ["state", ChainMarkFilter, "district"]
    search_fields = ["number", "description"]
    list_select_related = ["district", "street", "category", "responsible_unit"]
    inlines = [TicketEventInline]
    show_full_result_count = False


# The 交办 chain's own records are ledger evidence: shown, never edited here (their acts write them).
@admin.register(TicketCoUnit)
class TicketCoUnitAdmin(ReadOnlyAdmin):
    district_path = "ticket__district"
    list_display = ["ticket", "unit", "part_submitted_at", "waived_at"]
    list_select_related = ["ticket", "unit"]
    search_fields = ["ticket__number"]


@admin.register(Recheck)
class RecheckAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "days_after", "due_on", "result", "done_at", "cancelled"]
    list_filter = ["result", "cancelled", "due_on"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__number"]


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyAdmin):
    list_display = ["document_number", "ticket", "supervising_unit", "leader", "deadline", "created_at", "lifted_at"]
    list_filter = ["deadline"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__number", "document_number"]


@admin.register(TicketPhoto)
class TicketPhotoAdmin(ReadOnlyAdmin):
    district_path = "ticket__district"
    list_display = ["id", "ticket", "kind", "uploaded_by", "uploaded_at", "size"]
    list_select_related = ["ticket", "uploaded_by"]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(DistrictScopedAdmin):
    district_path = "campaign__district"
    list_display = ["campaign", "is_active", "cutoff", "on_rest_days", "remind_at", "missed_list_at"]


@admin.register(ReportingDuty)
class ReportingDutyAdmin(DistrictScopedAdmin):
    district_path = "campaign__district"
    list_display = ["__str__", "campaign", "since", "is_active"]
    list_filter = ["campaign", "is_active"]
    list_select_related = ["unit", "work_group", "campaign"]


@admin.register(UnitWebhook)
class UnitWebhookAdmin(DistrictScopedAdmin):
    district_path = "unit__district"
    # A robot's address typed without a scheme is an https one (Django 6's default already).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "unit", "flavor", "is_active"]
    list_select_related = ["unit"]
    fields = ["unit", "name", "flavor", "url", "secret", "signing_secret", "is_active"]


class HotlineInline(ScopedInlinePermissions, admin.TabularInline):
    """A mapping row: its choices are the admin's own districts' categories or streets."""

    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            ids = admin_district_ids(request.user)
            if db_field.related_model is ProblemCategory:
                field.queryset = field.queryset.filter(campaign__district_id__in=ids, is_active=True)
            elif db_field.related_model is OrgUnit:
                field.queryset = field.queryset.filter(district_id__in=ids)
        return field


class HotlineCategoryInline(HotlineInline):
    model = HotlineCategory


class HotlineStreetInline(HotlineInline):
    model = HotlineStreet


@admin.register(HotlineSettings)
class HotlineSettingsAdmin(DistrictScopedAdmin):
    """12345热线对接: each change is in the security audit log (secrets never written there)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["district", "enabled", "campaign", "outbound_url"]
    list_select_related = ["district", "campaign"]
    inlines = [HotlineCategoryInline, HotlineStreetInline]
    fields = [
        "district",
        "enabled",
        "campaign",
        "default_category",
        "default_days",
        "inbound_secret",
        "outbound_url",
        "outbound_secret",
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = list(form.changed_data)
        for formset in formsets:
            if formset.has_changed():
                changed.append(formset.model._meta.model_name)
        audit_record(
            AuditKind.SETTINGS_CHANGE,
            request=request,
            district=form.instance.district_id,
            target="12345热线对接",
            model="campaigns.hotlinesettings",
            changed=changed,
            created=not change,
        )


@admin.register(DailyReport)
class DailyReportAdmin(ReadOnlyAdmin):
    district_path = "duty__campaign__district"
    list_display = ["duty", "date", "is_late", "nothing_found", "problems_found", "submitted_by", "submitted_at"]
    list_filter = ["is_late", "date"]
    list_select_related = ["duty__unit", "duty__work_group", "submitted_by"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "title", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]
