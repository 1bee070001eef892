"""Every app's API under /api/v1/; each app registers its viewsets in its own `api.py`."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from aftersales import api as aftersales_api
from chat import api as chat_api
from core.api import api_not_found
from knowledge import api as knowledge_api
from profiles import api as profiles_api
from tickets import api as tickets_api
from tickets.channels import api as channel_api
from tickets.channels.email import api as email_api

router = DefaultRouter()
profiles_api.register(router)
aftersales_api.register(router)
knowledge_api.register(router)
tickets_api.register(router)

urlpatterns = [
    path("me/", profiles_api.MeView.as_view(), name="api-me"),
    path("logistics/webhook/", aftersales_api.LogisticsWebhookView.as_view(), name="api-logistics-webhook"),
    path("email/inbound/", email_api.InboundEmailView.as_view(), name="api-email-inbound"),
    path("chat/embed-tokens/", chat_api.EmbedTokenView.as_view(), name="api-chat-embed-tokens"),
    path("channels/wechat/<str:app_id>/", channel_api.wechat_endpoint, name="api-channel-wechat"),
    path("channels/social/<slug:slug>/", channel_api.SocialWebhookView.as_view(), name="api-channel-social"),
    *router.urls,
    # Last: anything else under /api/v1/ is a JSON 404 in the API's error shape.
    re_path(r"", api_not_found, name="api-not-found"),
]
