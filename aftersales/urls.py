from django.urls import path

from aftersales import views

app_name = "aftersales"
urlpatterns = [path("", views.aftersales_home, name="home")]
