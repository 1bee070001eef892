from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.reports_home, name="home"),
    path("live/", views.live_board, name="live"),
    path("agents/", views.agent_kpis, name="agents"),
    path("trends/", views.trends, name="trends"),
    path("aftersales/", views.aftersales, name="aftersales"),
]
