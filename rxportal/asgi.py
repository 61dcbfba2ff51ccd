# Served over WSGI (gunicorn): ASGI measured 3-10x slower for this workload. Kept for tooling only.
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rxportal.settings.dev")
application = get_asgi_application()
