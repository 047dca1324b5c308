"""接口令牌: district and city admins issue, list and revoke the API's tokens; the API docs page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.access.tokens import get_api_token_for_admin, require_token_admin, visible_api_tokens
from campaigns.forms.api_tokens import ApiTokenForm
from campaigns.models import SubmissionKind
from campaigns.once import SubmissionRefused, SubmissionRepeated, create_once, submission_answer, submission_repeat
from campaigns.services.api_tokens import TokenRefused, api_token_create, api_token_revoke


@login_required
def api_token_list(request: HttpRequest) -> HttpResponse:
    require_token_admin(request.user)
    tokens = visible_api_tokens(request.user).select_related("owner").prefetch_related("districts")
    return render(request, "campaigns/api_tokens.html", {"tokens": tokens[:200]})


@login_required
def api_token_new(request: HttpRequest) -> HttpResponse:
    district_ids = require_token_admin(request.user)
    if request.method != "POST":
        form = ApiTokenForm(district_ids=district_ids)
        return render(request, "campaigns/api_token_form.html", {"form": form})
    form = ApiTokenForm(request.POST, district_ids=district_ids)
    if (answer := submission_repeat(request, form, SubmissionKind.API_TOKEN)) is not None:
        return answer  # the secret was shown to the first send only
    if form.is_valid():
        data = form.cleaned_data
        made: dict[str, str] = {}

        def create():
            token, made["secret"] = api_token_create(
                name=data["name"],
                owner=data["owner"],
                districts=data["districts"],
                scope=data["scope"],
                created_by=request.user,
            )
            return token

        try:
            token = create_once(
                request, form, SubmissionKind.API_TOKEN, create, lambda t: reverse("campaigns:api-tokens")
            )
        except SubmissionRepeated as repeated:
            return submission_answer(request, repeated)
        except SubmissionRefused as refused:
            form.submission_refuse(refused.message)
        except TokenRefused as refused:
            form.add_error("districts", str(refused))
        else:
            # Shown on this answer and nowhere else: only its digest is kept.
            response = render(request, "campaigns/api_token_created.html", {"token": token, "secret": made["secret"]})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "campaigns/api_token_form.html", {"form": form}, status=400)


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_api_token_for_admin(request.user, pk)
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, _("已吊销令牌“%(name)s”，使用它的系统将无法再访问。") % {"name": token.name})
    else:
        messages.info(request, _("令牌“%(name)s”早已吊销。") % {"name": token.name})
    return redirect("campaigns:api-tokens")


@login_required
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API's reference, drawn by Swagger UI from static/vendor (no CDN) out of the schema."""
    return render(request, "campaigns/api_docs.html", {"schema_url": "/api/v1/openapi.json"})
