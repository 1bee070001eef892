from django.urls import path

from profiles import desk_views

app_name = "desk_customers"
urlpatterns = [
    path("<int:customer_id>/", desk_views.customer_page, name="customer"),
]
