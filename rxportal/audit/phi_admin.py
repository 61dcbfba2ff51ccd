"""The one base for back-office admins of models that hold PHI or a person's data.

Until the staff consoles cover what the back office did, only superusers open these admins:
every other staff account, whatever its permissions, is refused (403, recorded as
``phi.admin.denied``) and does not see them on the admin index. A superuser's every look and
change is recorded through the records door (``rxportal.records.reads.record_phi_read``, web
edge: the back office reads members' PHI like any page), with the model's label, the record's public
id and counts, never names, dates of birth, drugs or what was typed into the search box:

* ``phi.admin.listed`` / ``phi.admin.searched``: a list page (``results``: rows matched);
* ``phi.admin.viewed``: a record's change, delete-confirmation or history page (``page``);
* ``phi.admin.added`` / ``phi.admin.changed`` / ``phi.admin.deleted``: a saved change (the
  changed fields' labels, the number of inline rows touched);
* ``phi.admin.action_used``: a list action such as "delete selected" (``selected``: row count).

The back office's autocomplete endpoint (``PhiSafeAutocompleteJsonView``) searches the admin of
whatever model a related field points to and passes through none of these pages; no PHI admin
uses autocomplete fields, so it refuses every search of a PHI admin's records, for superusers
too, recorded as ``phi.admin.denied`` (``page``: ``autocomplete``, the source model and field).

Django's own admin log (``LogEntry``: the index's "Recent actions", history pages) names these
records by public id (primary key for the third-party models), never by their str(), and the
change message names inline rows the same way (migration ``audit.0003`` renamed older entries).

Writes are recorded inside the admin's own transaction, so an event exists only if the change
does. Use it before ``admin.ModelAdmin`` (or a third-party admin) in the class bases:
``class MemberAdmin(PhiAdminMixin, admin.ModelAdmin)``; a test holds every PHI admin to it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.admin.utils import NestedObjects
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import router
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.text import capfirst

from rxportal.audit.models import Outcome
from rxportal.records.reads import reader_for_page, record_phi_read

ACTION_DENIED = "phi.admin.denied"
ACTION_LISTED = "phi.admin.listed"
ACTION_SEARCHED = "phi.admin.searched"
ACTION_VIEWED = "phi.admin.viewed"
ACTION_ADDED = "phi.admin.added"
ACTION_CHANGED = "phi.admin.changed"
ACTION_DELETED = "phi.admin.deleted"
ACTION_USED = "phi.admin.action_used"

# Changed-field labels kept per event: enough to say what was edited, well under the details cap.
MAX_FIELDS = 20
FIELD_LABEL_MAX_LENGTH = 60
# List-page parameters that are paging and display, not filters.
_NOT_FILTERS = frozenset({*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG})

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[Any]
else:
    _Base = object


def can_use_phi_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Only an active superuser opens a PHI admin (staff use the audited staff console)."""
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_superuser", False))


def audit_subject(obj: Model) -> tuple[str, str]:
    """The model label and the record's public id (primary key for the few third-party models
    without one: allauth's email addresses, authenticators and sessions)."""
    public_id = getattr(obj, "public_id", None)
    return obj._meta.label_lower, str(public_id if public_id is not None else obj.pk)


class PhiAdminMixin(_Base):
    """Superusers only, and every view and change of a record written to the audit trail."""

    # --- Who may open it ---------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_use_phi_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_use_phi_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # Inline admins pass the parent object too; ModelAdmins only the request.
        return can_use_phi_admin(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_use_phi_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_use_phi_admin(request.user) and super().has_delete_permission(request, obj)

    def _refuse_unless_allowed(self, request: HttpRequest, page: str) -> None:
        if can_use_phi_admin(request.user):
            return
        self._record(request, ACTION_DENIED, outcome=Outcome.DENIED, details={"page": page})
        raise PermissionDenied

    # --- The pages ---------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._refuse_unless_allowed(request, "changelist")
        response = super().changelist_view(request, extra_context)
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if request.method == "POST" and request.POST.get("action") and selected:
            self._record(
                request,
                ACTION_USED,
                details={"admin_action": request.POST["action"][:100], "selected": len(selected)},
            )
        changelist = _context(response).get("cl")
        if changelist is not None:
            searched = bool(changelist.query)
            filters = [key for key in request.GET if key not in _NOT_FILTERS]
            self._record(
                request,
                ACTION_SEARCHED if searched else ACTION_LISTED,
                details={"results": changelist.result_count, "filters": len(filters)},
            )
        return response

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Checked here too: some admins (the user admin) refuse in add_view before changeform_view.
        self._refuse_unless_allowed(request, "add")
        return super().add_view(request, form_url, extra_context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._refuse_unless_allowed(request, "add" if object_id is None else "change")
        response = super().changeform_view(request, object_id, form_url, extra_context)
        self._record_shown(request, _context(response).get("original"), "change")
        return response

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._refuse_unless_allowed(request, "delete")
        response = super().delete_view(request, object_id, extra_context)
        self._record_shown(request, _context(response).get("object"), "delete")
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._refuse_unless_allowed(request, "history")
        response = super().history_view(request, object_id, extra_context)
        self._record_shown(request, _context(response).get("object"), "history")
        return response

    # --- Saved changes (called by Django inside the admin's transaction) ---------------------
    # Django's own admin log (LogEntry: the index's "Recent actions", a record's history page)
    # stores each record's str(), which for these models is a name or an address: it gets the
    # public id instead, and the change message names inline rows by id too.

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        message: list[dict[str, Any]] = super().construct_change_message(
            request, form, formsets, add
        )
        # Django lists each formset's added, changed and deleted rows in this order, one
        # message entry (holding the row's text as "object") per row.
        rows = iter(
            [
                *(
                    row
                    for formset in formsets or ()
                    for row in (
                        *formset.new_objects,
                        *(changed for changed, _fields in formset.changed_objects),
                        *formset.deleted_objects,
                    )
                )
            ]
        )
        for entry in message:
            for change in entry.values():
                if isinstance(change, dict) and "object" in change:
                    change["object"] = audit_subject(next(rows))[1]
        return message

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        [entry] = _log_entries(request, [obj], ADDITION, message)
        self._record(request, ACTION_ADDED, subject=obj, details=_change_details(message))
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        [entry] = _log_entries(request, [obj], CHANGE, message)
        self._record(request, ACTION_CHANGED, subject=obj, details=_change_details(message))
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # Called before the rows are deleted, with a list (one record) or a queryset (an action).
        objs = list(queryset)
        entries = _log_entries(request, objs, DELETION, "")
        for obj in objs:
            self._record(request, ACTION_DELETED, subject=obj)
        return entries

    # --- Recording ---------------------------------------------------------------------------

    def _record_shown(self, request: HttpRequest, obj: Model | None, page: str) -> None:
        if obj is not None:
            self._record(request, ACTION_VIEWED, subject=obj, details={"page": page})

    def _record(
        self,
        request: HttpRequest,
        action: str,
        *,
        outcome: str = Outcome.SUCCESS,
        subject: Model | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        subject_type, subject_id = (
            audit_subject(subject) if subject is not None else (self.model._meta.label_lower, "")
        )
        record_phi_read(
            reader_for_page(request),
            action=action,
            outcome=outcome,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )


class PhiSafeAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete view, refusing (and recording) any search of a PHI admin."""

    def process_request(self, request: HttpRequest) -> tuple[str, Any, Any, str]:
        # Django's own checks first (app, model, field, search fields); django-stubs lack it.
        term, model_admin, source_field, to_field_name = super().process_request(request)  # type: ignore[misc]
        if isinstance(model_admin, PhiAdminMixin):
            model_admin._record(
                request,
                ACTION_DENIED,
                outcome=Outcome.DENIED,
                details={
                    "page": "autocomplete",
                    "source": source_field.model._meta.label_lower,
                    "field": source_field.name,
                },
            )
            raise PermissionDenied
        return term, model_admin, source_field, to_field_name


def phi_safe_autocomplete_view(site: admin.AdminSite) -> Any:
    """The view to put in place of ``site.autocomplete_view`` (see ``rxportal/urls.py``)."""

    def autocomplete_view(request: HttpRequest) -> HttpResponseBase:
        return PhiSafeAutocompleteJsonView.as_view(admin_site=site)(request)

    return autocomplete_view


class ReferenceAdminMixin(_Base):
    """Admins of reference and configuration data (plans, drugs, pharmacies, clients...).

    Their records hold no person's data, but deleting one lists what it would take with it or
    what protects it, and that can be members, prescriptions or claims by name. The delete
    page here says how many records of each kind instead, for everyone: a superuser reads the
    records themselves in the PHI admins, where that is audited.
    """

    def get_deleted_objects(
        self, objs: Sequence[Model] | Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[str]]:
        _deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            collector = NestedObjects(using=router.db_for_write(self.model))
            collector.collect(objs)
            counts = Counter(
                str(capfirst(obj._meta.verbose_name_plural)) for obj in collector.protected
            )
            protected = [f"{kind}: {count}" for kind, count in sorted(counts.items())]
        # The records being deleted themselves; what goes with them is in the page's summary.
        return [str(obj) for obj in objs], model_count, perms_needed, protected


def _log_entries(
    request: HttpRequest, objs: Sequence[Model], action_flag: int, message: Any
) -> list[LogEntry]:
    """Django's admin log entries for ``objs`` (as ``LogEntry.objects.log_actions`` writes
    them), each named by its public id rather than its str()."""
    user_id = request.user.pk
    if user_id is None:  # the admin's pages are for signed-in staff only
        raise PermissionDenied
    change_message = json.dumps(message) if isinstance(message, list) else str(message)
    entries = [
        LogEntry(
            user_id=user_id,
            content_type_id=ContentType.objects.get_for_model(obj, for_concrete_model=False).pk,
            object_id=str(obj.pk),
            object_repr=audit_subject(obj)[1][:200],
            action_flag=action_flag,
            change_message=change_message,
        )
        for obj in objs
    ]
    if len(entries) == 1:
        entries[0].save()
        return entries
    return LogEntry.objects.bulk_create(entries)


def _context(response: HttpResponse) -> Mapping[str, Any]:
    """A template response's context (empty for redirects and plain responses)."""
    context = getattr(response, "context_data", None)
    return context if isinstance(context, Mapping) else {}


def _change_details(message: Any) -> dict[str, Any]:
    """What the admin's change message says was edited, as field labels and counts only.

    The message lists the changed fields of the record (labels such as "address line 1") and
    each inline row added, changed or deleted, with that row's text, which may be PHI: only
    the number of inline rows is kept.
    """
    if not isinstance(message, list):
        return {}
    fields: list[str] = []
    inline_rows = 0
    for entry in message:
        if not isinstance(entry, Mapping):
            continue
        for change in entry.values():
            if not isinstance(change, Mapping):
                continue
            if "object" in change or "name" in change:
                inline_rows += 1
            else:
                fields.extend(_labels(change.get("fields", ())))
    return {"fields": fields[:MAX_FIELDS], "inline_rows": inline_rows}


def _labels(values: Iterable[Any]) -> list[str]:
    return [str(value)[:FIELD_LABEL_MAX_LENGTH] for value in values]
