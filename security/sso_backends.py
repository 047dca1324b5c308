"""The two single sign-on protocols as Django authentication backends: OIDC through
mozilla-django-oidc, CAS through django-cas-ng's client. Each asks the identity service who
this is, then security.sso which ledger account that is; neither ever creates one."""

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django_cas_ng.utils import get_cas_client
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from campaigns.models import SsoProvider
from security.sso import INVALID_TICKET, sso_account, sso_refuse

# A setting left blank is read from the provider's discovery document instead.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",  # nosec B105 # a discovery field name
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
DISCOVERY_SECONDS = 3600


def oidc_discovery() -> dict:
    """The provider's .well-known/openid-configuration, kept an hour (asked at first use, so a
    provider that is down stops sign-on, never the ledger's start)."""
    url = settings.OIDC_OP_DISCOVERY_URL
    key = f"oidc-discovery:{url}"
    document = cache.get(key)
    if document is None:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        cache.set(key, document, DISCOVERY_SECONDS)
    return document


def oidc_setting(attr, *args):
    """mozilla-django-oidc's settings lookup, with blank endpoints filled from discovery."""
    if attr in DISCOVERED and not getattr(settings, attr, "") and settings.OIDC_OP_DISCOVERY_URL:
        value = oidc_discovery().get(DISCOVERED[attr])
        if not value:
            raise ImproperlyConfigured(f"The OIDC discovery document has no {DISCOVERED[attr]}; set {attr}.")
        return value
    return import_from_settings(attr, *args)


class OIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def verify_claims(self, claims):
        # The subject is all the mapping needs; e-mail is not asked of the identity service.
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        user = sso_account(
            self.request,
            provider=SsoProvider.OIDC,
            subject=str(claims.get("sub", "")),
            username=str(claims.get(settings.OIDC_USERNAME_CLAIM, "") or ""),
        )
        users = get_user_model().objects
        return users.filter(pk=user.pk) if user is not None else users.none()

    def create_user(self, claims):
        raise SuspiciousOperation("Single sign-on never creates accounts.")


class CASBackend(ModelBackend):
    """Validates a CAS service ticket with the CAS server (serviceValidate)."""

    def authenticate(self, request, ticket=None, service=None, **kwargs):
        if request is None or not ticket or not service:
            return None
        client = get_cas_client(service_url=service, request=request)
        username, _attributes, _pgtiou = client.verify_ticket(ticket)
        if not username:  # forged, used twice or expired: the CAS server knows no such ticket
            sso_refuse(request, provider=SsoProvider.CAS, subject="", reason=INVALID_TICKET)
            return None
        return sso_account(request, provider=SsoProvider.CAS, subject=username, username=username)
