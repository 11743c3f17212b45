"""gunicorn's access log with the real client address (config.client), not the proxy's."""

from gunicorn.glogging import Logger

from config.client import address_from


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        from django.conf import settings  # configured by the time a request is logged

        atoms["h"] = address_from(
            environ.get("REMOTE_ADDR", "-"),
            environ.get("HTTP_X_FORWARDED_FOR", ""),
            settings.TRUSTED_PROXY_COUNT,
        )
        return atoms
