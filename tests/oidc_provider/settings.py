"""A stand-in for the government network's identity service (统一身份认证): a real OpenID
Connect provider (django-oauth-toolkit) the SSO tests start in a subprocess on loopback. It
shares nothing with the ledger: its own settings, its own SQLite file, its own cookie."""

import os

SECRET_KEY = "oidc-provider-for-tests-only"  # nosec B105 # a throwaway test provider
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
# No CSRF middleware: the test signs in with a plain POST, as a stand-in may.
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.oidc_provider.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["OIDC_PROVIDER_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
# Both servers are 127.0.0.1: cookies do not tell ports apart, so the names must differ.
SESSION_COOKIE_NAME = "provider_session"
LOGIN_URL = "/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["OIDC_PROVIDER_KEY"],
    "OAUTH2_VALIDATOR_CLASS": "tests.oidc_provider.urls.GovernmentValidator",
    "SCOPES": {"openid": "OpenID Connect", "profile": "Profile"},
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "PKCE_REQUIRED": True,
}
LOGGING = {"version": 1, "disable_existing_loggers": True}
