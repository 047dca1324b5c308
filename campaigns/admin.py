"""Django admin for setting up units, people, campaigns, groups and points.

Tickets are shown read-only here: every change of a ticket goes through workflow.py, so
the admin can never strike a line off the ledger behind the timeline's back.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AssessmentArea,
    Campaign,
    InspectionPoint,
    Membership,
    OrgUnit,
    PointType,
    ProblemCategory,
    Ticket,
    TicketEvent,
    TicketPhoto,
    WorkGroup,
)

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "is_active", "last_login"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "district", "is_active"]
    list_filter = ["kind", "district", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent", "district"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "phone"]
    list_filter = ["role", "unit__district"]
    search_fields = ["user__username", "user__first_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


class AssessmentAreaInline(admin.TabularInline):
    model = AssessmentArea
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "kind", "status", "start_date", "inspection_date", "end_date"]
    list_filter = ["kind", "status", "district"]
    search_fields = ["name"]
    inlines = [AssessmentAreaInline]


@admin.register(AssessmentArea)
class AssessmentAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "campaign", "order"]
    list_filter = ["campaign"]
    search_fields = ["name"]


@admin.register(ProblemCategory)
class ProblemCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "campaign", "default_deadline_days", "is_active"]
    list_filter = ["campaign", "area", "is_active"]
    search_fields = ["name"]
    list_select_related = ["area", "campaign"]


@admin.register(PointType)
class PointTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    search_fields = ["name"]


@admin.register(InspectionPoint)
class InspectionPointAdmin(admin.ModelAdmin):
    list_display = ["name", "point_type", "unit", "street", "responsible_department", "is_active"]
    list_filter = ["district", "point_type", "is_active"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["unit", "responsible_department"]
    list_select_related = ["point_type", "unit", "street", "responsible_department"]


@admin.register(WorkGroup)
class WorkGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "campaign", "leader_display"]
    list_filter = ["kind", "campaign"]
    search_fields = ["name"]
    filter_horizontal = ["members", "streets"]
    autocomplete_fields = ["leader"]

    @admin.display(description=_("负责人"))
    def leader_display(self, obj):
        return obj.leader_display


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "actor", "from_state", "to_state", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "district", "street", "category", "responsible_unit", "deadline", "reported_at"]
    list_filter = ["state", "district"]
    search_fields = ["number", "description"]
    list_select_related = ["district", "street", "category", "responsible_unit"]
    inlines = [TicketEventInline]
    show_full_result_count = False


@admin.register(TicketPhoto)
class TicketPhotoAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "kind", "uploaded_by", "uploaded_at", "size"]
    list_select_related = ["ticket", "uploaded_by"]
