from django.urls import path

from reports import quality_urls, views

app_name = "reports"
urlpatterns = [path("", views.reports_home, name="home"), *quality_urls.urlpatterns]
