"""Where course files live: the "private" store, outside public media, never linked.

settings.STORAGES["private"] is a local directory (PRIVATE_MEDIA_ROOT, the demo) or a
private bucket or prefix in S3-compatible object storage (production). Files are served
only by enrollment's media view after the access check, which then hands the bytes to
nginx (X-Accel-Redirect) or redirects to a short-lived presigned URL.
"""

from django.core.files.storage import FileSystemStorage, Storage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("Course material has no public URL; link to the media view instead.")


def private_storage() -> Storage:
    return storages["private"]


def presigned_url(
    storage: Storage, name: str, *, content_type: str, disposition: str, method: str = "GET"
) -> str | None:
    """A short-lived signed link to a private object, or None for a store without them."""
    if not getattr(storage, "querystring_auth", False):  # local disk: no such links
        return None
    return storage.url(
        name,
        parameters={"ResponseContentType": content_type, "ResponseContentDisposition": disposition},
        http_method=method,
    )
