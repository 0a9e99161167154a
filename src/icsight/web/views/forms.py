"""Reading the pages' HTML forms, and where a form may send someone after it.

Forms are `application/x-www-form-urlencoded` (the browser's default, with no JavaScript);
the CSRF token in their `csrf_token` field has already been checked by the API's guard
(`icsight.api.security`) before a view runs. A body is parsed here with the standard library,
bounded in size and in fields, so no form can cost more than a small page.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

from fastapi import Request

__all__ = ["MAX_FORM_BYTES", "FormError", "form_fields", "form_token", "local_path"]

#: The largest form body read (the longest commentary, percent-encoded, fits several times).
MAX_FORM_BYTES = 256 * 1024
MAX_FIELDS = 50


def form_token(request: Request) -> str:
    """The session's CSRF token for a page's form, made now if it has none (the API's guard
    checks the form's `csrf_token` field against it)."""
    return request.session.setdefault("csrf", secrets.token_urlsafe(32))


class FormError(ValueError):
    """A form body that is not a form this service makes (too long, too many fields)."""


async def form_fields(request: Request) -> dict[str, str]:
    """The form's fields, each its first value (a field sent twice keeps the first), with
    blank fields kept as ''. Raises FormError for a body no page of ours would send."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormError("the form sent too much: shorten what you typed and try again")
    try:
        # percent-encoded bytes are UTF-8 (the pages are served as UTF-8); anything else
        # becomes U+FFFD rather than an error
        fields = parse_qs(body.decode("ascii", "replace"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS, errors="replace")
    except ValueError:
        raise FormError("the form sent more fields than it has") from None
    return {name: values[0] for name, values in fields.items()}


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: a `?next=` that named another
    site (`https://evil.example`, `//evil.example`, `/\\evil.example`, `javascript:`) would
    make the sign-in page an open redirect (OWASP Unvalidated Redirects and Forwards Cheat
    Sheet: allow only local paths)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target or any(ord(c) < 32 or ord(c) == 127
                                                       for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
