from django.urls import path

from aftersales import views

app_name = "aftersales"
urlpatterns = [
    path("", views.aftersales_home, name="home"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("items/<int:item_id>/apply/", views.apply, name="apply"),
    path("requests/<str:number>/", views.request_detail, name="request"),
    path("requests/<str:number>/action/", views.request_action, name="request_action"),
    path("requests/<str:number>/messages/", views.request_message, name="request_message"),
    path("requests/<str:number>/evaluation/", views.request_evaluate, name="request_evaluate"),
    path("evidence/<int:evidence_id>/", views.evidence_image, name="evidence"),
    path("arbitration/", views.arbitration_queue, name="arbitration"),
    path("arbitration/<str:number>/", views.arbitration_request, name="arbitration_request"),
    path("arbitration/<str:number>/action/", views.arbitration_action, name="arbitration_action"),
]
