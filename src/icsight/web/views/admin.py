"""Administration, `/admin` (admins only): the accounts and their roles, with forms to add an
account, disable or enable one and change its role (each a POST carrying the session's CSRF
token; disabling or a new role ends that account's sessions at its next request), and the
audit log, newest first, 50 entries a page, under the result of the same check as
`icsight audit verify`.

Every change goes through `icsight.services.accounts.AccountAdminService`, which authorises
it (`accounts.manage`) and writes it to the audit log. After a change the browser is sent
back to the page (POST, redirect, GET), so a reload repeats nothing.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from icsight.governance.access import ANONYMOUS, Role
from icsight.governance.accounts import MIN_PASSWORD, AccountError
from icsight.services.accounts import AccountAdminService
from icsight.web.views.data_quality import page_number
from icsight.web.views.forms import FormError, form_fields, form_token
from icsight.web.views.render import refused, render, sign_in_first, who

__all__ = ["NOTICES", "router"]

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
ROLES = [str(role) for role in Role]
#: The shapes `icsight users` accepts (its options in `icsight.cli._options`): an account name
#: (an NHSmail address fits), an ODS code, a password without control characters. The
#: database's columns are sized for them.
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,253}", re.ASCII)
ODS_CODE = re.compile(r"[A-Z0-9]{3,6}", re.ASCII)
PASSWORD = re.compile(r"[^\x00-\x1f\x7f]{" + str(MIN_PASSWORD) + ",128}")
#: What the page says after each change (the account's name is added, escaped).
NOTICES = {"added": "Account added", "disabled": "Account disabled; its sessions have ended",
           "enabled": "Account enabled", "role": "Role changed; its sessions have ended"}


def _service(request: Request) -> AccountAdminService:
    return AccountAdminService(request.app.state.accounts,
                               request.app.state.services.audit_log)


def _denied(request: Request) -> HTMLResponse:
    if who(request) is ANONYMOUS:
        return sign_in_first(request)
    return refused(request, "Administration is for icsight administrators.")


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, page: str = "1") -> HTMLResponse:
    """Accounts, the audit log's check and one page of its entries."""
    return _page(request, page, [], {}, 200)


@router.post("/admin/accounts", response_class=HTMLResponse)
async def add_account(request: Request) -> Response:
    """Add an account from the form."""
    return await _change(request, "added")


@router.post("/admin/accounts/disable", response_class=HTMLResponse)
async def disable_account(request: Request) -> Response:
    """Disable an account (ending its sessions)."""
    return await _change(request, "disabled")


@router.post("/admin/accounts/enable", response_class=HTMLResponse)
async def enable_account(request: Request) -> Response:
    """Enable a disabled account."""
    return await _change(request, "enabled")


@router.post("/admin/accounts/role", response_class=HTMLResponse)
async def change_role(request: Request) -> Response:
    """Change an account's role and scope (ending its sessions)."""
    return await _change(request, "role")


async def _change(request: Request, kind: str) -> Response:
    principal = who(request)
    service = _service(request)
    try:
        fields = await form_fields(request)
    except FormError as e:
        return _page(request, "1", [{"text": str(e), "href": "#accounts"}], {}, 400)
    user = fields.get("user", "").strip() if kind != "added" else fields.get("user", "")
    problems = _problems(kind, fields, principal.user, user)
    try:
        if problems:
            service.list(principal)  # a non-admin is refused (and audited) before errors
            return _page(request, "1", problems, fields if kind == "added" else {}, 400)
        practice = fields.get("practice", "").strip().upper() or None
        pcn = fields.get("pcn", "").strip().upper() or None
        if kind == "added":
            service.add(principal, user, fields.get("password", ""), fields["role"],
                        practice, pcn)
        elif kind == "disabled":
            service.disable(principal, user)
        elif kind == "enabled":
            service.enable(principal, user)
        else:
            service.set_role(principal, user, fields["role"], practice, pcn)
    except PermissionError:
        return _denied(request)
    except (AccountError, ValueError) as e:
        href = "#user" if kind == "added" else "#accounts"
        return _page(request, "1", [{"text": _sentence(str(e)), "href": href}],
                     fields if kind == "added" else {}, 400)
    return RedirectResponse(f"/admin?done={kind}&user={quote(user)}#accounts", status_code=303)


def _problems(kind: str, fields: dict, me: str, user: str) -> list[dict]:
    """What is missing or wrong in a form, before the account store is asked."""
    problems = []
    if not user:
        problems.append({"text": "Enter the account name", "href": "#user"})
    elif kind == "added" and not ACCOUNT_NAME.fullmatch(user):
        problems.append({"text": "Account name must be 1 to 254 letters, digits, '.', '_', '@', "
                                 "'+' or '-', starting with a letter or digit", "href": "#user"})
    if kind in ("added", "role") and fields.get("role") not in ROLES:
        problems.append({"text": "Choose a role", "href": "#role"})
    if kind == "added" and not PASSWORD.fullmatch(fields.get("password", "")):
        problems.append({"text": f"Enter a password of at least {MIN_PASSWORD} characters "
                                 "(128 at most, no control characters)", "href": "#password"})
    for name in ("practice", "pcn"):
        code = fields.get(name, "").strip().upper()
        if kind in ("added", "role") and code and not ODS_CODE.fullmatch(code):
            problems.append({"text": f"{'Practice' if name == 'practice' else 'PCN'} code must "
                                     "be an ODS code: 3 to 6 letters and digits, like E81021",
                             "href": f"#{name}"})
    if kind in ("disabled", "role") and user == me:
        # an administrator locking themselves out, or demoting themselves, by one click
        problems.append({"text": "You cannot disable your own account or change your own "
                                 "role: ask another administrator", "href": "#accounts"})
    if (kind in ("added", "role") and fields.get("role") == "clinician"
            and not (fields.get("practice", "").strip() or fields.get("pcn", "").strip())):
        problems.append({"text": "Enter the practice or PCN code of a clinician",
                         "href": "#practice"})
    return problems


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _page(request: Request, page: str, errors: list[dict], typed: dict,
          status: int) -> HTMLResponse:
    principal, service = who(request), _service(request)
    number = page_number(page)
    try:
        accounts = service.list(principal)
        verdict = service.verify(principal)
        if number is None:
            return render(request, "problem.jinja", {
                "title": "There is a problem with the page number",
                "reason": "The page number must be a whole number from 1, like page=2."}, 400)
        entries, total = service.audit_page(principal, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    except PermissionError:
        return _denied(request)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    if number > pages:
        return render(request, "not_found.jinja", {
            "title": "Page not found",
            "reason": f"The audit log has {pages} page{'s' if pages != 1 else ''}."}, 404)
    done = request.query_params.get("done", "")
    return render(request, "admin.jinja", {
        "title": ("Error: " if errors else "") + "Administration", "accounts": accounts,
        "verdict": verdict, "entries": entries, "total": total, "page": number,
        "pages": pages, "errors": errors, "typed": typed, "roles": ROLES, "me": principal.user,
        "notice": NOTICES.get(done, ""), "notice_user": request.query_params.get("user", ""),
        "min_password": MIN_PASSWORD,
        "form_token": form_token(request)}, status)
