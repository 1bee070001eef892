from django.urls import path

from knowledge import views

app_name = "help"
urlpatterns = [
    path("", views.help_home, name="home"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("preview/", views.preview, name="preview"),
]
