"""The Excel import pages every setup list shares: upload with history, preview, the kept record.

Units and people use the same pages (the checklist has its own, built the same way); what
differs — the form, the columns, the URL names, the words — is an `ImportKind`.
"""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from campaigns.models import SetupImport


@dataclass(frozen=True)
class ImportKind:
    kind: str
    title: str
    noun: str
    form: type
    columns: tuple
    list_url: str
    template_url: str
    import_url: str
    show_url: str
    confirm_url: str
    steps: tuple


def import_context(district, spec, **more):
    return {
        "district": district,
        "spec": spec,
        "columns": spec.columns,
        "again_url": reverse(spec.import_url, args=[district.code]),
        **more,
    }


def import_page(request, district, spec, upload):
    """The upload form with the history (GET), or the preview of an uploaded file (POST)."""
    history = SetupImport.objects.filter(district=district, kind=spec.kind).select_related("uploaded_by")[:20]
    if request.method == "POST":
        form = spec.form(request.POST, request.FILES)
        if form.is_valid():
            record, preview = upload(district=district, actor=request.user, uploaded=form.cleaned_data["file"])
            return import_preview_page(
                request, district, spec, record, preview, status=200 if preview.is_clean else 400
            )
        status = 400
    else:
        form = spec.form()
        status = 200
    return render(
        request,
        "campaigns/setup_import.html",
        import_context(district, spec, form=form, history=history, max_rows=settings.IMPORT_MAX_ROWS),
        status=status,
    )


def import_preview_page(request, district, spec, record, preview, status=200):
    context = import_context(
        district,
        spec,
        record=record,
        preview=preview,
        confirm_url=reverse(spec.confirm_url, args=[district.code, record.pk]),
    )
    return render(request, "campaigns/setup_import_preview.html", context, status=status)


def import_record(district, spec, import_id):
    return get_object_or_404(
        SetupImport.objects.select_related("district"), pk=import_id, district=district, kind=spec.kind
    )
