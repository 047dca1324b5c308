"""The Excel import pages every import shares: upload with history, preview, the kept record, confirm.

The task checklist (a campaign's), the inspection points, the units and the people (a
district's) go through the same pages; what differs — the owner, the form, the columns, the
URL names, the words — is an `ImportPages`. Each view still fetches and authorises the owner
itself (campaigns/access.py) before it hands over to these functions, and every record is
looked up inside that owner, so another district's import is a 404.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import ImportStatus
from campaigns.services.xlsx_import import XLSX


@dataclass(frozen=True)
class ImportPages:
    owner: str  # what the import belongs to, as the templates name it: "campaign" or "district"
    owner_arg: str  # the owner's attribute its URLs take: "pk" or "code"
    records: Callable  # owner → its import records of this kind
    form: type
    columns: tuple
    title: str
    steps: tuple  # the upload page's numbered steps; the first offers the template
    upload_template: str
    preview_template: str
    list_url: str  # URL names, each taking the owner's argument (and the record's id)
    template_url: str
    import_url: str
    show_url: str
    confirm_url: str
    done_message: str = ""  # after a confirm that leads back to the list: %(a)s added, %(c)s changed, %(s)s same
    noun: str = ""


def template_download(content, filename):
    """An import's empty template, as an attachment (`filename` is plain ASCII)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def _context(pages, owner, **more):
    arg = getattr(owner, pages.owner_arg)
    return {
        pages.owner: owner,
        "pages": pages,
        "owner_arg": arg,
        "columns": pages.columns,
        "again_url": reverse(pages.import_url, args=[arg]),
        **more,
    }


def import_page(request, pages, owner, upload):
    """The upload form with the history (GET), or the preview of an uploaded file (POST).

    `upload(actor=, uploaded=, sheet=)` keeps the file with what the form read from it (the
    one parse of it) and returns (record, preview).
    """
    if request.method == "POST":
        form = pages.form(request.POST, request.FILES)
        if form.is_valid():
            record, preview = upload(actor=request.user, uploaded=form.cleaned_data["file"], sheet=form.sheet)
            return preview_page(request, pages, owner, record, preview, status=200 if preview.is_clean else 400)
        status = 400
    else:
        form = pages.form()
        status = 200
    history = pages.records(owner).select_related("uploaded_by")[:20]
    context = _context(
        pages,
        owner,
        form=form,
        history=history,
        max_rows=settings.IMPORT_MAX_ROWS,
        template_url=reverse(pages.template_url, args=[getattr(owner, pages.owner_arg)]),
    )
    return render(request, pages.upload_template, context, status=status)


def preview_page(request, pages, owner, record, preview, status=200):
    """A kept file: its preview while it waits for a confirm, else what became of it (preview None)."""
    confirm_url = reverse(pages.confirm_url, args=[getattr(owner, pages.owner_arg), record.pk])
    context = _context(pages, owner, record=record, preview=preview, confirm_url=confirm_url)
    return render(request, pages.preview_template, context, status=status)


def import_record(pages, owner, import_id):
    return get_object_or_404(pages.records(owner), pk=import_id)


def show_page(request, pages, owner, import_id, preview_of):
    """A kept file again while it waits: its kept rows checked afresh (`preview_of(record)`)."""
    record = import_record(pages, owner, import_id)
    preview = preview_of(record) if record.status == ImportStatus.PREVIEW else None
    return preview_page(request, pages, owner, record, preview)


def ticked_rows(request):
    """The row numbers whose overwrite the admin ticked on the preview."""
    return frozenset(int(value) for value in request.POST.getlist("overwrite") if value.isdigit() and len(value) < 8)


def confirm_page(request, pages, owner, import_id, confirm, done=None):
    """Import a previewed file with `confirm(record, ticked)` (which returns the preview it imported).

    `ticked` are the rows that undo work done which the admin ticked. A file already handled
    goes back to the upload page; one that cannot be imported now (changed, stale, confirmed
    twice, a row not ticked) is shown again with why (409). After a clean import,
    `done(record)` answers, or the list with `done_message`.
    """
    record = import_record(pages, owner, import_id)
    arg = getattr(owner, pages.owner_arg)
    if record.status != ImportStatus.PREVIEW:
        messages.error(request, _("这个文件已经处理过了（%(status)s）。") % {"status": record.get_status_display()})
        return redirect(pages.import_url, arg)
    preview = confirm(record, ticked_rows(request))
    if not preview.is_clean or record.status != ImportStatus.DONE:
        return preview_page(request, pages, owner, record, preview, status=409)
    if done is not None:
        return done(record)
    messages.success(
        request,
        str(pages.done_message) % {"a": record.rows_added, "c": record.rows_changed, "s": record.rows_unchanged},
    )
    return redirect(pages.list_url, arg)
