"""Saved views: each signed-in person's own list of pages, saved under names they choose.

The rules a page or the API must not be able to skip live here: only a signed-in person has
saved views, and only their own; a view is a page of this site (an address starting with a
single "/", no scheme or host, no control characters), never another site's, so a saved view
cannot be made into a link away; names are 1 to `MAX_NAME` characters; each person keeps at
most `MAX_VIEWS`. Saved views hold addresses, never figures or patient data.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from icsight.appdb import Database
from icsight.appdb.saved_views import (
    SavedPage,
    count_views,
    delete_view,
    save_view,
    views_of,
)
from icsight.governance.access import ANONYMOUS, AccessDeniedError, Principal
from icsight.services.errors import NotFoundError

__all__ = ["MAX_NAME", "MAX_PATH", "MAX_VIEWS", "SavedViewError", "SavedViewService"]

MAX_NAME = 200
MAX_PATH = 1_000
MAX_VIEWS = 100
#: Pages that are not views: saving them would make a link that acts (signs out) or loops.
NOT_VIEWS = ("/sign-out", "/sign-in", "/saved-views")


class SavedViewError(ValueError):
    """A view that cannot be saved as given; the message says why, for the person."""


class SavedViewService:
    """Saved views over the application database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def views(self, who: Principal) -> list[SavedPage]:
        """`who`'s saved views, by name."""
        return views_of(self.database, _owner(who))

    def save(self, who: Principal, name: str, path: str) -> bool:
        """Save page `path` as `who`'s view `name` (a view of that name gets the new page).
        True if the view is new. SavedViewError says what is wrong with the name or page."""
        owner, name, path = _owner(who), page_name(name), page_path(path)
        if name not in {view.name for view in views_of(self.database, owner)} and \
                count_views(self.database, owner) >= MAX_VIEWS:
            raise SavedViewError(f"You have {MAX_VIEWS} saved views, the most anyone can "
                                 "keep: delete one you no longer need first")
        return save_view(self.database, owner, name, path)

    def delete(self, who: Principal, name: str) -> None:
        """Delete `who`'s view `name`, or NotFoundError."""
        if not delete_view(self.database, _owner(who), name):
            raise NotFoundError(f"You have no saved view called {name!r}.")


def _owner(who: Principal) -> str:
    if who is ANONYMOUS or not who.user:
        raise AccessDeniedError("sign in to keep saved views")
    return who.user


def page_name(text: str) -> str:
    """A view's name as given, trimmed; SavedViewError if empty, too long or with control
    characters."""
    name = (text or "").strip()
    if not name:
        raise SavedViewError("Enter a name for the view")
    if len(name) > MAX_NAME:
        raise SavedViewError(f"The name must be {MAX_NAME} characters or fewer")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise SavedViewError("The name must not contain control characters")
    return name


def page_path(text: str) -> str:
    """A page of this site: its path and query (no fragment); SavedViewError for another
    site's address, a scheme, control characters, or a page that is not a view."""
    path = (text or "").strip()
    parts = urlsplit(path)
    if (not path.startswith("/") or path.startswith("//") or "\\" in path
            or parts.scheme or parts.netloc):
        raise SavedViewError("A saved view must be a page of icsight (an address that "
                             "starts with /)")
    if len(path) > MAX_PATH:
        raise SavedViewError(f"The page's address must be {MAX_PATH} characters or fewer")
    if any(unicodedata.category(c).startswith("C") for c in path):
        raise SavedViewError("The page's address must not contain control characters")
    if parts.path.rstrip("/") in NOT_VIEWS or parts.path.startswith("/saved-views/"):
        raise SavedViewError("That page cannot be saved as a view")
    return parts.path + (f"?{parts.query}" if parts.query else "")
