from django.urls import path

from . import views

app_name = "credentials"

# Included before certificates.urls: "verify/<code>/" would take these paths otherwise.
urlpatterns = [
    path("verify/document/", views.verify_document, name="verify_document"),
    path("verify/bulk/", views.verify_bulk, name="verify_bulk"),
    path("verify/<str:code>/credential.jwt", views.credential, name="credential"),
    path("credentials/issuer.json", views.issuer, name="issuer"),
    path("credentials/jwks.json", views.jwks, name="jwks"),
    path("credentials/keys/<str:kid>.json", views.key, name="key"),
    path("credentials/status/revocation.jwt", views.status_list, name="status_list"),
]
