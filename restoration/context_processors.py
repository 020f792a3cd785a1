"""Template context every page needs: demo banner and the product name."""

from django.conf import settings
from django.http import HttpRequest


def restoreadmin(request: HttpRequest) -> dict:
    return {"demo_mode": settings.DEMO_MODE}
