from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("", views.widget, name="widget"),
    path("start/", views.start, name="start"),
    path("embed.js", views.embed_script, name="embed_script"),
    path("embed/", views.embed_page, name="embed"),
    path("message/", views.leave_message, name="leave_message"),
    path("message/<int:ticket_id>/", views.message_left, name="message_left"),
    path("<int:conversation_id>/attachments/", views.upload, name="upload"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
