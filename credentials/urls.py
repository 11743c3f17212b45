from django.urls import path

from . import views

app_name = "credentials"

# Included before certificates.urls: "verify/<code>/" would take these paths otherwise.
urlpatterns = [
    path("verify/document/", views.verify_document, name="verify_document"),
    path("verify/bulk/", views.verify_bulk, name="verify_bulk"),
]
