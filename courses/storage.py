"""Storage for paid course material: outside MEDIA_ROOT and with no public URL.

Files are only ever served by enrollment's media view after the access check (or handed
to nginx with X-Accel-Redirect from that view).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs.setdefault("location", settings.PRIVATE_MEDIA_ROOT)
        super().__init__(**kwargs)

    def url(self, name):
        raise ValueError("Course material has no public URL; link to the media view instead.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
