from django.urls import path

from . import player, views

app_name = "enrollment"

urlpatterns = [
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/cancel/<str:number>/", views.checkout_cancel, name="checkout_cancel"),
    path("checkout/demo/<str:number>/", views.demo_checkout, name="demo_checkout"),
    path("checkout/<slug:slug>/", views.checkout, name="checkout"),
    path("my/courses/", views.my_courses, name="my_courses"),
    path("my/orders/", views.order_list, name="orders"),
    path("my/orders/<str:number>/", views.order_detail, name="order"),
    path("my/orders/<str:number>/refund/", views.refund_request, name="refund_request"),
    path(
        "my/orders/<str:number>/refund/withdraw/",
        views.refund_request_withdraw,
        name="refund_request_withdraw",
    ),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("learn/<slug:slug>/", player.course_home, name="course_home"),
    path("learn/<slug:slug>/sections/<int:pk>/", player.section_view, name="section"),
    path("learn/<slug:slug>/sections/<int:pk>/done/", player.section_done, name="section_done"),
    path("learn/<slug:slug>/videos/<int:pk>/", player.video_view, name="video"),
    path("learn/<slug:slug>/media/<str:kind>/<int:pk>/", player.media, name="media"),
]
