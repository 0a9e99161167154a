"""Serving: the Python API (`service`) and the HTTP layer the web app uses (`http`), both
enforcing the same access policy (`icsight.governance.access`)."""
