from django.urls import path

from . import views

app_name = "testing"

urlpatterns = [
    path("learn/<slug:slug>/test/", views.test_home, name="home"),
    path("learn/<slug:slug>/test/start/", views.attempt_start, name="start"),
    path("learn/<slug:slug>/test/attempts/<int:number>/", views.attempt_view, name="attempt"),
    path("learn/<slug:slug>/test/attempts/<int:number>/save/", views.attempt_save, name="save"),
    path(
        "learn/<slug:slug>/test/attempts/<int:number>/submit/", views.attempt_submit, name="submit"
    ),
    path("learn/<slug:slug>/evaluation/", views.evaluation, name="evaluation"),
]
