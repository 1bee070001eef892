from django.urls import path

from knowledge import editor, views

app_name = "help"
urlpatterns = [
    path("", views.help_home, name="home"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("preview/", views.preview, name="preview"),
    path("images/<int:pk>/<str:name>", views.article_image, name="image"),
    path("editor/", editor.editor_list, name="editor"),
    path("editor/new/", editor.editor_edit, name="editor_new"),
    path("editor/<slug:slug>/", editor.editor_edit, name="editor_edit"),
    path("editor/<slug:slug>/transition/", editor.editor_transition, name="editor_transition"),
    path("editor/<slug:slug>/images/", editor.editor_image_upload, name="editor_image_upload"),
    path("editor/tasks/<int:pk>/done/", editor.review_task_done, name="review_task_done"),
]
