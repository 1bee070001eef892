from django.urls import path

from quality import views

# Mounted under /reports/quality/ (service_center/urls.py), where the QA pages have always been.
app_name = "quality"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("sample/", views.sample, name="sample"),
    path("reviews/<int:review_id>/", views.review, name="review"),
    path("reviews/<int:review_id>/resolve/", views.resolve, name="resolve"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:review_id>/appeal/", views.appeal, name="appeal"),
]
