"""The web pages, on the NHS.UK design system: templates (`templates/`, extending
nhsuk-frontend-jinja's page template) apart from the code that fills them (`views/`), and the
design system's compiled CSS, JavaScript and assets vendored from npm under `static/nhsuk/`
(`scripts/vendor_frontend.sh`; nothing is loaded from another host).

`install(app)` mounts the pages at `/`, the static files at `/static`, and a designed 404
page for every path outside the API.
"""

from icsight.web.views import install

__all__ = ["install"]
