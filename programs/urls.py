from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("programs/<slug:slug>/", views.program_detail, name="detail"),
    path("programs/<slug:slug>/buy/", views.program_buy, name="buy"),
    path("program-certificates/<str:code>.pdf", views.credential_download, name="download"),
    path("verify/programs/<str:code>.json", views.verify_json, name="verify_json"),
    path("verify/programs/<str:code>/", views.verify, name="verify"),
]
