"""The API's tokens: a token reaches what its owner reaches, within the districts it was
issued for; who issues and revokes them."""

from dataclasses import replace

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from campaigns.models import ApiToken, OrgUnit, Role, UnitKind

from . import AnyUser, Scope, scope_for


def token_scope(token: ApiToken) -> Scope:
    """The owner's reach (the same scope_for as the pages), narrowed to the token's districts:
    one access layer, so a token can never do what its owner could not."""
    owner = token.owner
    reach = scope_for(owner)
    issued = frozenset(token.districts.values_list("id", flat=True))
    kept = reach.district_ids & issued
    return replace(
        reach,
        district_ids=kept,
        roles_by_district={d: roles for d, roles in reach.roles_by_district.items() if d in kept},
    )


def token_admin_district_ids(user: AnyUser) -> frozenset[int]:
    """The districts whose tokens this person issues and revokes: those they administer (a
    city office's admin administers every district of the city)."""
    scope = scope_for(user)
    return frozenset(d for d in scope.district_ids if scope.has_role(d, {Role.ADMIN}))


def require_token_admin(user: AnyUser) -> frozenset[int]:
    district_ids = token_admin_district_ids(user)
    if not district_ids:
        raise PermissionDenied("只有区、市创卫办管理员可以管理接口令牌。")
    return district_ids


def visible_api_tokens(user: AnyUser) -> QuerySet[ApiToken]:
    """Tokens all of whose districts this person administers."""
    district_ids = token_admin_district_ids(user)
    elsewhere = OrgUnit.objects.filter(kind=UnitKind.DISTRICT).exclude(pk__in=district_ids)
    return ApiToken.objects.filter(districts__in=district_ids).exclude(districts__in=elsewhere).distinct()


def get_api_token_for_admin(user: AnyUser, pk: int | str) -> ApiToken:
    """A token to revoke: one reaching none of this person's districts does not exist for them
    (404); one they see but do not administer every district of is a 403."""
    scope = scope_for(user)
    token = ApiToken.objects.select_related("owner").filter(pk=pk, districts__in=scope.district_ids).first()
    if token is None:
        raise Http404("没有这个接口令牌，或您无权查看。")
    if not visible_api_tokens(user).filter(pk=token.pk).exists():
        raise PermissionDenied("只有令牌所涉各区的管理员可以吊销它。")
    return token
