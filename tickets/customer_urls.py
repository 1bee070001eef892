from django.urls import path

from tickets import customer_views

app_name = "my_tickets"
urlpatterns = [
    path("", customer_views.my_tickets, name="list"),
    path("new/", customer_views.new_ticket, name="new"),
    path("<int:ticket_id>/", customer_views.ticket_page, name="ticket"),
    path("<int:ticket_id>/reply/", customer_views.reply, name="reply"),
    path("<int:ticket_id>/nudge/", customer_views.nudge, name="nudge"),
    path("survey/<str:token>/", customer_views.survey, name="survey"),
]
