"""djangorestframework-simplejwt as its docs set it up: TokenObtainPairView,
TokenRefreshView with ROTATE_REFRESH_TOKENS and BLACKLIST_AFTER_ROTATION (the token_blacklist
app), a DRF view behind JWTAuthentication + IsAuthenticated. One file: settings, urls, views.

    gunicorn -w 1 simplejwt_app:application          (BENCH_DB, BENCH_HASHER)
    python simplejwt_app.py setup N FILE
"""

from __future__ import annotations

import sys
from datetime import timedelta

import django
from _common import ACCESS_TTL, PASSWORD, REFRESH_TTL, SECRET, USER, database, hasher
from django.conf import settings

HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # Django's default first
if hasher() == "argon2":
    HASHERS = ["_django_argon2.SameArgon2"]

settings.configure(
    DEBUG=False,
    SECRET_KEY=SECRET,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "rest_framework_simplejwt.token_blacklist",
    ],
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": database(),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    },
    PASSWORD_HASHERS=HASHERS,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework_simplejwt.authentication.JWTAuthentication"
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    },
    SIMPLE_JWT={
        "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TTL),
        "REFRESH_TOKEN_LIFETIME": timedelta(seconds=REFRESH_TTL),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "UPDATE_LAST_LOGIN": False,
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView  # noqa: E402


class Me(APIView):
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({"username": request.user.get_username()})


urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("api/me/", Me.as_view()),
]

application = get_wsgi_application()


def setup(count: int, out: str) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import RefreshToken

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(USER, password=PASSWORD)
    with open(out, "w") as f:
        for _ in range(count):
            f.write(f"{RefreshToken.for_user(user)}\n")


if __name__ == "__main__" and sys.argv[1:2] == ["setup"]:
    setup(int(sys.argv[2]), sys.argv[3])
