"""Where `Service` used to live; kept so `icsight serve` (which imports it from here) works
until the command line imports `icsight.services`."""

from icsight.services import AccessDeniedError, NotFoundError, Service

__all__ = ["AccessDeniedError", "NotFoundError", "Service"]
