"""gunicorn settings; each one can be overridden from the environment (empty = default).

Run from the release directory (the one holding manage.py): `gunicorn -c
config/gunicorn.conf.py`. The site logs one line per request itself (ops.requestlog,
with the request id and user), so gunicorn's own access log is off unless asked for.
"""

import multiprocessing
import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


bind = _env("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(_env("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(_env("GUNICORN_THREADS", "1"))
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
accesslog = _env("GUNICORN_ACCESSLOG", "") or None
# If it is on, its %(h)s is the client as config.client sees it (TRUSTED_PROXY_COUNT),
# the same address as in the site's own request log, not nginx's.
logger_class = "config.gunicorn_logging.AccessLogger"
# gunicorn's own messages (start, worker restarts) in UTC like the site's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"utc": {"()": "ops.logformat.UtcFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "utc"}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "config.wsgi:application"
# gunicorn 27's control socket lives at one path per user: two servers on one machine
# (two hosts in the scale-out test, two test runs) would fight over it, and nothing
# here uses gunicornc.
control_socket_disable = True
