"""Where `create_app` used to live; kept so `icsight serve` (which imports it from here) works
until the command line imports `icsight.api.app`."""

from icsight.api.app import app_from_environment, create_app

__all__ = ["app_from_environment", "create_app"]
