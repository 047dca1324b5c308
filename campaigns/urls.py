from django.urls import path

from .views import boards, checklists, naming, notifications, photos, reports, tickets

app_name = "campaigns"

urlpatterns = [
    path("", boards.home, name="home"),
    path("board/", boards.board_default, name="board-default"),
    path("board/<str:code>/", boards.board, name="board"),
    path("board/<str:code>/wall/", boards.board_wall, name="board-wall"),
    path("city/", boards.city, name="city"),
    path("board/<str:code>/rankings/", naming.ranking_page, name="rankings"),
    path("board/<str:code>/notices/draft/", naming.notice_draft, name="notice-draft"),
    path("notices/<int:pk>/", naming.notice_print, name="notice-print"),
    path("notices/<int:pk>/edit/", naming.notice_edit, name="notice-edit"),
    path("my/", boards.my_tasks_page, name="my-tasks"),
    path("tickets/", tickets.ticket_list, name="ticket-list"),
    path("tickets/new/", tickets.ticket_log, name="ticket-log"),
    path("tickets/<str:number>/", tickets.ticket_detail, name="ticket-detail"),
    path("tickets/<str:number>/assign/", tickets.ticket_assign, name="ticket-assign"),
    path("tickets/<str:number>/submit-fix/", tickets.ticket_submit_fix, name="ticket-submit-fix"),
    path("tickets/<str:number>/close-out/", tickets.ticket_close_out, name="ticket-close-out"),
    path("tickets/<str:number>/return/", tickets.ticket_return, name="ticket-return"),
    path("tickets/<str:number>/reopen/", tickets.ticket_reopen, name="ticket-reopen"),
    path("tickets/<str:number>/void/", tickets.ticket_void, name="ticket-void"),
    path("checklist/", checklists.checklist_default, name="checklist-default"),
    path("checklist/mine/", checklists.checklist_mine, name="checklist-mine"),
    path("checklist/items/<int:pk>/", checklists.checklist_item, name="checklist-item"),
    path("checklist/items/<int:pk>/update/", checklists.checklist_item_update_view, name="checklist-item-update"),
    path("checklist/evidence/<int:pk>/", checklists.evidence_download, name="evidence"),
    path("checklist/evidence/<int:pk>/thumb/", checklists.evidence_thumb, name="evidence-thumb"),
    path("campaigns/<int:campaign_id>/checklist/", checklists.checklist, name="checklist"),
    path(
        "campaigns/<int:campaign_id>/checklist/template.xlsx", checklists.checklist_template, name="checklist-template"
    ),
    path("campaigns/<int:campaign_id>/checklist/import/", checklists.checklist_import, name="checklist-import"),
    path(
        "campaigns/<int:campaign_id>/checklist/import/<int:import_id>/",
        checklists.checklist_import_show,
        name="checklist-import-show",
    ),
    path(
        "campaigns/<int:campaign_id>/checklist/import/<int:import_id>/confirm/",
        checklists.checklist_import_confirm_view,
        name="checklist-import-confirm",
    ),
    path(
        "campaigns/<int:campaign_id>/checklist/apply-standard/",
        checklists.checklist_apply_standard_view,
        name="checklist-apply-standard",
    ),
    path("campaigns/<int:campaign_id>/scoring/", checklists.scoring_sheet, name="scoring-sheet"),
    path("campaigns/<int:campaign_id>/scoring/export.xlsx", checklists.scoring_export, name="scoring-export"),
    path("campaigns/<int:campaign_id>/scoring/<str:area_code>/", checklists.scoring_sheet, name="scoring-area"),
    path("reports/", reports.reports_mine, name="reports-mine"),
    path("reports/duty/<int:duty_id>/submit/", reports.report_submit, name="report-submit"),
    path("reports/duty/<int:duty_id>/", reports.report_history, name="report-history"),
    path("campaigns/<int:campaign_id>/reports/", reports.reports_today, name="reports-today"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification-open"),
    path("notifications/read-all/", notifications.notifications_read_all, name="notifications-read-all"),
    path("deliveries/", notifications.delivery_list, name="deliveries"),
    path("deliveries/<int:pk>/retry/", notifications.delivery_retry, name="delivery-retry"),
    path("photos/<int:pk>/", photos.photo, name="photo"),
    path("photos/<int:pk>/thumb/", photos.photo_thumb, name="photo-thumb"),
]
