from django.urls import path

from profiles import desk_views

app_name = "desk_customers"
urlpatterns = [
    path("<int:customer_id>/", desk_views.customer_page, name="customer"),
    path("<int:customer_id>/tags/", desk_views.customer_tags, name="tags"),
    path("<int:customer_id>/merge/", desk_views.customer_merge, name="merge"),
]
