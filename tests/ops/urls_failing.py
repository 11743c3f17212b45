"""The site's URLs plus one view that fails, for the error-report tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site


def failing(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the renderer fell over")


urlpatterns = [path("failing/", failing), *site]
