from django.urls import path

from chat.consumers import ChatConsumer, DeskConsumer
from desk.consumers import DeskShellConsumer
from tickets.consumers import CustomerTicketConsumer, DeskTicketsConsumer

websocket_urlpatterns = [
    path("ws/presence/", DeskShellConsumer.as_asgi()),  # the agent's status and the notification bell
    path("ws/chat/desk/", DeskConsumer.as_asgi()),
    path("ws/chat/<int:conversation_id>/", ChatConsumer.as_asgi()),
    path("ws/desk/tickets/", DeskTicketsConsumer.as_asgi()),
    path("ws/my-tickets/<int:ticket_id>/", CustomerTicketConsumer.as_asgi()),
]
