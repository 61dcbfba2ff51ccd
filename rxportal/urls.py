from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from rxportal.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.RXPORTAL_ADMIN_PATH, admin.site.urls),
    path("", include("rxportal.web.urls")),
]
