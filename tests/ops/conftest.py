import logging

import pytest


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def events(self, name: str) -> list[dict]:
        """The fields of each records.events.event_log line called `name`."""
        return [
            r.fields
            for r in self.records
            if getattr(r, "event", None) == name and hasattr(r, "fields")
        ]


@pytest.fixture
def log_lines():
    """What the site's own loggers write (some do not propagate to the root logger)."""
    handler = ListHandler()
    loggers = [logging.getLogger(name) for name in ("ce.request", "ce.events", "ce.tasks")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)  # the suite runs at WARNING
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)
