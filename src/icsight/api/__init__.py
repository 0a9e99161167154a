"""The HTTP layer the web app uses: `app.create_app` over the services (`icsight.services`),
with sessions, CSRF and headers in `security` and one router per area in `routers`."""
