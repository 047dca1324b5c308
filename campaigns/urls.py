from django.urls import path

from .views import boards, photos, tickets

app_name = "campaigns"

urlpatterns = [
    path("", boards.home, name="home"),
    path("board/", boards.board_default, name="board-default"),
    path("board/<str:code>/", boards.board, name="board"),
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
    path("photos/<int:pk>/", photos.photo, name="photo"),
    path("photos/<int:pk>/thumb/", photos.photo_thumb, name="photo-thumb"),
]
