from django.contrib.auth import views as auth_views
from django.urls import path

from profiles import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("preferences/", views.preferences, name="preferences"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
