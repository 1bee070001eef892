from django.urls import path

from chat import views

app_name = "desk"
urlpatterns = [path("", views.desk_home, name="home")]
