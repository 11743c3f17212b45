from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from .health import healthz, readyz
from .robots import robots_txt

admin.site.site_header = f"{settings.SITE_NAME} — director"
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = "Courses, orders and records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("readyz", readyz, name="readyz"),
    # The public pages first: the most requested, their patterns (the catalog's "", and
    # courses/ and instructors/ with a slug) shadow none of the apps' below.
    path("", include("courses.urls")),
    path("", include("enrollment.urls")),
    path("", include("testing.urls")),
    path("", include("credentials.urls")),  # before certificates: /verify/document/
    path("", include("certificates.urls")),
    path("", include("programs.urls")),
]

if settings.DEBUG:
    # Public uploads (instructor photos) in the demo; nginx serves MEDIA_ROOT in production.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
