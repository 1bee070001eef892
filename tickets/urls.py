from django.urls import path

from tickets import side_views, views

app_name = "desk_tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new_ticket, name="new"),
    path("search/", views.search_results, name="search"),
    path("next/", views.take_next, name="take_next"),
    path("lookup/<str:kind>/", views.lookup, name="lookup"),
    path("bulk/", views.bulk, name="bulk"),
    path("views/", views.saved_view_create, name="saved_view_create"),
    path("views/<int:view_id>/<str:change>/", views.saved_view_change, name="saved_view_change"),
    path("bulk/<int:job_id>/", views.bulk_job, name="bulk_job"),
    path("<int:ticket_id>/", views.ticket_page, name="ticket"),
    path("<int:ticket_id>/reply/", views.reply, name="reply"),
    path("<int:ticket_id>/pick/", views.pick, name="pick"),
    path("<int:ticket_id>/assign/", views.assign, name="assign"),
    path("<int:ticket_id>/transfer/", views.transfer, name="transfer"),
    path("<int:ticket_id>/escalate/", views.escalate, name="escalate"),
    path("<int:ticket_id>/status/", views.change_status, name="status"),
    path("<int:ticket_id>/merge/", views.merge, name="merge"),
    path("<int:ticket_id>/subticket/", views.subticket, name="subticket"),
    path("<int:ticket_id>/macros/preview/", views.macro_preview, name="macro_preview"),
    path("<int:ticket_id>/macros/apply/", views.apply_macro, name="apply_macro"),
    path("<int:ticket_id>/side/", side_views.side_panel, name="side_panel"),
    path("<int:ticket_id>/side/new/", side_views.side_start, name="side_start"),
    path("<int:ticket_id>/side/<int:conversation_id>/reply/", side_views.side_reply, name="side_reply"),
    path("<int:ticket_id>/side/<int:conversation_id>/close/", side_views.side_status, {"change": "close"},
         name="side_close"),
    path("<int:ticket_id>/side/<int:conversation_id>/reopen/", side_views.side_status, {"change": "reopen"},
         name="side_reopen"),
    path("side/attachments/<int:attachment_id>/", side_views.side_attachment, name="side_attachment"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("calls/<int:call_id>/recording/", views.call_recording, name="call_recording"),
]
