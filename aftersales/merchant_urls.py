from django.urls import path

from aftersales import views

app_name = "merchant"
urlpatterns = [
    path("", views.merchant_home, name="home"),
    path("stores/<int:store_id>/", views.merchant_store, name="store"),
    path("requests/<str:number>/", views.merchant_request, name="request"),
    path("requests/<str:number>/action/", views.merchant_request_action, name="request_action"),
]
