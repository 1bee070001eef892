from django.urls import path

from chat import views

# No namespace of its own: desk.urls includes these under "desk:" beside the shell's pages.
urlpatterns = [
    path("chats/", views.console, name="chats"),
    path("chats/lists/", views.console_lists, name="chat_lists"),
    path("chats/accept/", views.accept, name="chat_accept_next"),
    path("chats/<int:conversation_id>/accept/", views.accept, name="chat_accept"),
    path("chats/<int:conversation_id>/transfer/", views.transfer, name="chat_transfer"),
    path("chats/<int:conversation_id>/end/", views.end, name="chat_end"),
    path("chats/<int:conversation_id>/ticket/", views.to_ticket, name="chat_ticket"),
]
