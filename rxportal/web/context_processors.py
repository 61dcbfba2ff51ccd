from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    return {"support": settings.RXPORTAL_SUPPORT, "rxportal_env": settings.RXPORTAL_ENV}
