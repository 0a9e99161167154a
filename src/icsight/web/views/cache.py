"""Pages kept once made: a page of figures is the same for everyone who sees it the same way
until the next build, so it is made once per build and principal and served from memory.

Making a page costs tens of milliseconds of one core (reading the build's tables, the design
system's table macros); twenty people reading at once would queue behind each other. A kept
page costs a dictionary lookup. The key is the path and query, who is asking (role, name and
clinical scope: the header names them, and suppression depends on the role) and the build
being served (the results store's latest-run marker), so a new build is never answered from
the old one. Only pages that depend on nothing else are kept (`kept_page` marks them): pages
with a form (a CSRF token) or with what people write (commentary, accounts, the audit log)
are made every time. The one exception is the programme page, which shows each metric's
latest commentary beside its figures: it is kept under a marker of the commentary too (the
newest version's id), so the first visit after a save makes it again.

Each response still gets a new Content-Security-Policy nonce: the kept HTML's nonce is
replaced with a fresh one, so no two responses share one (a nonce must not be guessable from
an earlier page: W3C Content Security Policy Level 3, "nonce").
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from fastapi import Request
from fastapi.responses import HTMLResponse

from icsight.web.views.render import page_policy, who

__all__ = ["KeptFigures", "PageCache", "kept_page"]

#: What the kept pages may hold in all, in bytes: a few hundred pages of figures.
LIMIT_BYTES = 64 * 1024 * 1024


class PageCache:
    """Made pages by key, the least recently served dropped first beyond `limit` bytes."""

    def __init__(self, limit: int = LIMIT_BYTES) -> None:
        self.limit = limit
        self._pages: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, body: bytes, nonce: str) -> None:
        if len(body) > self.limit:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._size -= len(old[0])
            self._pages[key] = (body, nonce)
            self._size += len(body)
            while self._size > self.limit:
                _, (dropped, _) = self._pages.popitem(last=False)
                self._size -= len(dropped)

    def __len__(self) -> int:
        return len(self._pages)


class KeptFigures:
    """Drawn figures by key, the least recently used dropped beyond `limit` entries: drawing
    a chart costs vl-convert a fraction of a second, and a build is never rewritten, so a
    figure of one build at one level of access is drawn once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: tuple, make: Callable[[], object]) -> object:
        """The figure kept under `key`, or `make()`'s, kept. Two first visitors at once may
        both draw it (the same drawing): no one waits on a lock while a chart is drawn."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        made = make()
        with self._lock:
            self._kept[key] = made
            while len(self._kept) > self.limit:
                self._kept.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._kept)


def kept_page(view: Callable[..., HTMLResponse] | None = None, *,
              also: Callable[[Request], Hashable] | None = None) -> Callable:
    """Serve `view`'s page from the cache when it was made for this build and principal;
    otherwise make it, and keep it if it is a whole page (200). A page that also shows
    something people write (the programme page's commentary) names it with `also`: a
    function of the request whose answer changes whenever that does, and is part of the key
    (`@kept_page(also=...)`)."""
    if view is None:
        return functools.partial(kept_page, also=also)

    @functools.wraps(view)
    def serve(**kwargs) -> HTMLResponse:
        request: Request = kwargs["request"]
        cache: PageCache | None = getattr(request.app.state, "page_cache", None)
        if cache is None:
            return view(**kwargs)
        key = (request.url.path, request.url.query, who(request), _build_marker(request),
               also(request) if also is not None else None)
        kept = cache.get(key)
        if kept is not None:
            return _fresh(request, *kept)
        response = view(**kwargs)
        nonce = getattr(request.state, "page_nonce", None)
        if response.status_code == 200 and nonce and key[3] is not None:
            cache.put(key, bytes(response.body), nonce)
        return response

    return serve


def _fresh(request: Request, body: bytes, nonce: str) -> HTMLResponse:
    """A kept page with a new nonce in its HTML and its policy."""
    new = secrets.token_urlsafe(16)
    request.state.content_security_policy = page_policy(new)
    return HTMLResponse(body.replace(nonce.encode(), new.encode()))


def _build_marker(request: Request) -> str | None:
    """Which build is being served (None before any build: such a page is not kept)."""
    return request.app.state.services.aggregates.build_marker()
