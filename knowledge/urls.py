from django.urls import path

from knowledge import views

app_name = "help"
urlpatterns = [path("", views.help_home, name="home")]
