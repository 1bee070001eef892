from django.urls import include, path

from desk import views

# One "desk:" namespace: the shell's own pages, then the chat console's (chat.urls has no namespace).
app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("", include("chat.urls")),
]
