import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service_center.settings.base")
# Django must be set up before anything imports models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from core.gc_tuning import tune_after_startup  # noqa: E402
from core.segmentation import warm_up  # noqa: E402
from profiles.two_factor import TwoFactorSocketMiddleware  # noqa: E402
from service_center.websocket_urls import websocket_urlpatterns  # noqa: E402

# The search indexes' word segmentation, loaded before the first request rather than during it.
warm_up()

# Under `make run` (DEBUG) Daphne serves /static/ itself; production puts a web server in front.
http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.DEBUG else django_asgi_app

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TwoFactorSocketMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Everything the server needs is loaded now: freeze it out of the collector's way (core/gc_tuning.py).
tune_after_startup()
