from django.urls import path

from aftersales import views

app_name = "merchant"
urlpatterns = [
    path("", views.merchant_home, name="home"),
    path("stores/<int:store_id>/", views.merchant_store, name="store"),
]
