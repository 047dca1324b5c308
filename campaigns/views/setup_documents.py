"""The district's document settings (公文设置) on its setup pages: the 版头, the 文号's 代字, the
版记, and the 文号 issued so far."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campaigns.access import get_district_for_admin
from campaigns.forms.documents import DocumentSettingsForm
from campaigns.models import DocumentKind, DocumentNumber
from campaigns.services.documents.common import template_path
from campaigns.services.documents.numbers import document_settings_for, document_settings_save
from infra.gongwen import PLACEHOLDERS

ISSUED_SHOWN = 30


@login_required
def document_settings_page(request, code):
    district = get_district_for_admin(request.user, code)
    current = document_settings_for(district)
    form = DocumentSettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        # Sending the same settings twice saves them twice, the same: nothing new is made.
        document_settings_save(district=district, actor=request.user, values=form.cleaned_data)
        messages.success(request, _("公文设置已保存。"))
        return redirect("campaigns:setup-documents", code=district.code)
    issued = DocumentNumber.objects.filter(district=district).select_related("issued_by")[:ISSUED_SHOWN]
    return render(
        request,
        "campaigns/setup_documents.html",
        {
            "district": district,
            "form": form,
            "issued": issued,
            "templates": [(kind.label, f"templates/documents/{template_path(kind).name}") for kind in DocumentKind],
            "placeholders": [f"{{{{{name}}}}}" for name in PLACEHOLDERS],
        },
        status=400 if form.errors else 200,
    )
