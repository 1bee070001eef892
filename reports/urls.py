from django.urls import path

from reports import knowledge_views, views

app_name = "reports"
urlpatterns = [
    path("", views.reports_home, name="home"),
    path("live/", views.live_board, name="live"),
    path("agents/", views.agent_kpis, name="agents"),
    path("trends/", views.trends, name="trends"),
    path("after-sales/", views.aftersales, name="aftersales"),
    path("builder/", views.report_builder, name="builder"),
    path("builder/<int:report_id>/", views.report_builder, name="saved_report"),
    path("exports/", views.export_list, name="exports"),
    path("exports/<int:job_id>/", views.export_status, name="export_status"),
    path("exports/<int:job_id>/download/", views.export_download, name="export_download"),
    path("knowledge/", knowledge_views.knowledge, name="knowledge"),
    path("knowledge/export.csv", knowledge_views.knowledge_csv, name="knowledge_csv"),
    path("knowledge/draft/", knowledge_views.knowledge_draft, name="knowledge_draft"),
]
