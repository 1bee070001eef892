from django.urls import include, path

from desk import views

# One "desk:" namespace: the shell's own pages, then the chat console's (chat.urls has no namespace).
app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("chat.urls")),
]
