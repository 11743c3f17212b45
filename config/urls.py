from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for the load balancer; also the trivial-view baseline in bench/."""
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = f"{settings.SITE_NAME} — director"
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = "Courses, orders and records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("enrollment.urls")),
    path("", include("testing.urls")),
    path("", include("certificates.urls")),
    path("", include("courses.urls")),
]

if settings.DEBUG:
    # Public uploads (instructor photos) in the demo; nginx serves MEDIA_ROOT in production.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
