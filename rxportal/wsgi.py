import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault(
    "DJANGO_SETTINGS_MODULE",
    "rxportal.settings.prod"
    if os.environ.get("RXPORTAL_ENV") == "production"
    else "rxportal.settings.dev",
)
application = get_wsgi_application()
