from django.urls import path

from core import quarantine_views

app_name = "quarantine"
urlpatterns = [
    path("", quarantine_views.quarantine_list, name="list"),
    path("<int:message_id>/retry/", quarantine_views.quarantine_retry, name="retry"),
    path("<int:message_id>/discard/", quarantine_views.quarantine_discard, name="discard"),
]
