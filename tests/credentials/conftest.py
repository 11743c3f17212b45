from tests.certificates.conftest import certificate, completed  # noqa: F401
from tests.testing.conftest import bank, evaluation_items, ready  # noqa: F401
