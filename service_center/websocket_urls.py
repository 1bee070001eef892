from django.urls import path

from chat.consumers import ChatConsumer, DeskConsumer
from profiles.consumers import PresenceConsumer
from tickets.consumers import CustomerTicketConsumer, DeskTicketsConsumer

websocket_urlpatterns = [
    path("ws/presence/", PresenceConsumer.as_asgi()),
    path("ws/chat/desk/", DeskConsumer.as_asgi()),
    path("ws/chat/<int:conversation_id>/", ChatConsumer.as_asgi()),
    path("ws/desk/tickets/", DeskTicketsConsumer.as_asgi()),
    path("ws/my-tickets/<int:ticket_id>/", CustomerTicketConsumer.as_asgi()),
]
