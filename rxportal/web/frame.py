"""The page frame of ``base.html`` (header with navigation and language switch, footer), rendered
once per process per key and then copied (issue 16: about a quarter of a cached dashboard view
went to its ~18 ``{% url %}`` and ~30 translations).

A fragment template sees only the values of its key, never the request, so a key that matches
can only give the same HTML: the language, the script prefix, signed in or not, the role and
staff flag, which nav item is current (URL name, app and the two path prefixes the header
tests), the unread count, and for the footer the support numbers. The per-request parts (each
form's CSRF token, the language switch's return path) are placeholders, put in by ``splice``.
The HTML holds no PHI (no name, no member id; a sponsor's phone line at most), so it may live
in process memory, in a bounded LRU; ``FRAME_FORMAT`` is in every key for a shape change, and
a deploy restarts the workers, so an old release's HTML is never served. With ``DEBUG`` on,
templates reload on change: nothing is cached then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Protocol

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.translation import get_language

# Bump when a fragment's context changes shape.
FRAME_FORMAT = 1
# Entries of a few kilobytes: keys are (language, role, current item, unread count...) tuples.
MAX_ENTRIES = 1024
HEADER_TEMPLATE = "web/_frame_header.html"
FOOTER_TEMPLATE = "web/_frame_footer.html"

# Letters only, so escaping never changes them; each is swapped as the whole attribute or field
# the template writes, never as letters that happen to appear inside text.
CSRF_PLACEHOLDER = "rxportalframecsrfplaceholder"
NEXT_PLACEHOLDER = "rxportalframenextplaceholder"
_CSRF_FIELD = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
_CSRF_FIELD_PLACEHOLDER = _CSRF_FIELD.format(CSRF_PLACEHOLDER)
# What a view exempt from CSRF puts in the context: no field then.
_NO_CSRF_TOKEN = "NOTPROVIDED"  # noqa: S105 (Django's marker, not a secret)
_NEXT_ATTRS = 'name="next" value="{}"'
_NEXT_ATTRS_PLACEHOLDER = _NEXT_ATTRS.format(NEXT_PLACEHOLDER)

# The two path prefixes whose nav items the header marks as current.
_HUB_PREFIX = "/hub/"
_HELP_PREFIX = "/help/"


class TemplateValues(Protocol):
    """A template context (``django.template.Context``) or a dict: what the frame looks up."""

    def get(self, key: str, otherwise: Any = None) -> Any: ...


_fragments: OrderedDict[Hashable, str] = OrderedDict()
_lock = threading.Lock()


def render_header(context: TemplateValues) -> str:
    """The skip link and the site header for the page whose template context this is."""
    request = context.get("request")
    user = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    match = getattr(request, "resolver_match", None)
    path = getattr(request, "path", "")
    values: dict[str, Hashable] = {
        "signed_in": signed_in,
        "role": getattr(user, "role", "") or "",
        "is_pbm_staff": bool(getattr(user, "is_pbm_staff", False)),
        "current": getattr(match, "url_name", None),
        "section": getattr(match, "app_name", None),
        "in_hub": path.startswith(_HUB_PREFIX),
        "in_help": path.startswith(_HELP_PREFIX),
        "unread": _unread(context) if signed_in else 0,
    }
    html = _fragment(HEADER_TEMPLATE, values)
    # An error page returns to its path alone (``return_path``): the query string may carry a
    # search; the 500 page has no request and returns nowhere.
    next_path = context.get("return_path") or (request.get_full_path() if request else "")
    return splice(html, csrf_token=context.get("csrf_token"), next_path=next_path)


def render_footer(context: TemplateValues) -> str:
    """The site footer: the help links and the viewer's support numbers."""
    support = context.get("support")
    fields = (
        "member_phone",
        "pharmacist_phone",
        "client_phone",
        "tty",
        "hours",
        "client_hours",
    )
    # str(): the hours are lazy translations, said in the active language (in the key too).
    values = {name: str(getattr(support, name, "")) for name in fields}
    return _fragment(FOOTER_TEMPLATE, {"support": _Support(**values)}, key=values)


class _Support:
    """The footer's support numbers as plain strings (what the key holds)."""

    def __init__(self, **values: str) -> None:
        self.__dict__.update(values)


def splice(html: str, *, csrf_token: object, next_path: str) -> str:
    """Put this request's CSRF token and return path where the cached HTML has placeholders;
    as ``{% csrf_token %}`` does, no field without a token and none for ``NOTPROVIDED``."""
    token = str(csrf_token) if csrf_token else ""
    field = format_html(_CSRF_FIELD, token) if token and token != _NO_CSRF_TOKEN else ""
    html = html.replace(_CSRF_FIELD_PLACEHOLDER, field)
    return html.replace(_NEXT_ATTRS_PLACEHOLDER, format_html(_NEXT_ATTRS, next_path))


def clear() -> None:
    """Forget every cached fragment (tests)."""
    with _lock:
        _fragments.clear()


def _unread(context: TemplateValues) -> int:
    # A callable from the context processor (read only when shown), or a number a view read.
    unread: int | Callable[[], int] | None = context.get("unread_notifications")
    value = unread() if callable(unread) else unread
    return int(value or 0)


def _fragment(
    template_name: str,
    values: dict[str, Any],
    *,
    key: Mapping[str, Hashable] | None = None,
) -> str:
    """The fragment rendered with ``values`` (and the placeholders), from this process's LRU
    when the same key was rendered before."""
    fields = values if key is None else key
    cache_key = (
        FRAME_FORMAT,
        template_name,
        get_language(),
        get_script_prefix(),
        tuple(sorted(fields.items())),
    )
    if not settings.DEBUG:
        with _lock:
            html = _fragments.get(cache_key)
            if html is not None:
                _fragments.move_to_end(cache_key)
                return html
    html = _render_fragment(template_name, values)
    if not settings.DEBUG:
        with _lock:
            _fragments[cache_key] = html
            _fragments.move_to_end(cache_key)
            while len(_fragments) > MAX_ENTRIES:
                _fragments.popitem(last=False)
    return html


def _render_fragment(template_name: str, values: dict[str, Any]) -> str:
    return render_to_string(
        template_name,
        {
            **values,
            "language_code": get_language(),
            "csrf_token": CSRF_PLACEHOLDER,
            "next_path": NEXT_PLACEHOLDER,
        },
    )
