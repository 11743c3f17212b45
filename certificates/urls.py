from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("learn/<slug:slug>/certificate/", views.course_certificate, name="course"),
    path("certificates/<str:code>/certificate.pdf", views.certificate_download, name="download"),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>.json", views.verify_json, name="verify_json"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("my/transcript/", views.transcript, name="transcript"),
    path("my/transcript.csv", views.transcript_csv, name="transcript_csv"),
    path("my/transcript.pdf", views.transcript_pdf, name="transcript_pdf"),
]
