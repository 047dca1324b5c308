"""Photos are district data: they are served only to people who may see their ticket."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from campaigns.access import scope_for
from campaigns.models import AuditKind, TicketPhoto
from infra.middleware import PHOTO_CACHE_CONTROL
from security.audit import audit_record


def _photo_for(user, pk):
    photo = TicketPhoto.objects.filter(pk=pk).select_related("ticket").first()
    if photo is None:
        raise Http404
    if photo.ticket_id is None:
        if photo.uploaded_by_id != user.pk:
            raise Http404
    elif photo.ticket.district_id not in scope_for(user).district_ids:
        raise Http404
    return photo


def _serve(field, content_type):
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    # Long enough to scroll a list and come back, short enough that a shared office PC does
    # not keep a district's photos for the next person.
    response["Cache-Control"] = PHOTO_CACHE_CONTROL
    return response


@login_required
@require_GET
def photo(request, pk):
    photo = _photo_for(request.user, pk)
    # The full picture is evidence leaving the ledger; list-size copies are not recorded.
    ticket = photo.ticket
    audit_record(
        AuditKind.DOWNLOAD,
        request=request,
        district=ticket.district_id if ticket else None,
        target=f"{ticket.number if ticket else '-'} photo {photo.pk}",
    )
    return _serve(photo.image, photo.content_type)


@login_required
@require_GET
def photo_thumb(request, pk):
    photo = _photo_for(request.user, pk)
    if not photo.thumbnail:  # the small copy is still being made: the original will do
        return _serve(photo.image, photo.content_type)
    return _serve(photo.thumbnail, "image/jpeg")
