"""Django settings of the app's tests: Postorius, django-mailman3 and this app on SQLite
in a file. The Mailman REST URL and credentials are set per test (the suite's Mailman)."""

import os
import tempfile

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_gravatar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_mailman3",
    "postorius",
    "mailman_pgp_web",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "postorius.middleware.PostoriusMiddleware",
]

ROOT_URLCONF = "mailman_pgp_web.tests.urls"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "django_mailman3.context_processors.common",
        "postorius.context_processors.postorius",
    ]},
}]

# The test database is a file: with SQLite in memory, the live server's request threads
# share the test's connection and fail closing it after a test ends (browser and WKD tests).
# The live server looks at NAME, which may be before the test database replaces it.
_DATABASE_FILE = os.path.join(tempfile.gettempdir(), f"mailman-pgp-web-{os.getpid()}.db")
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3", "NAME": _DATABASE_FILE,
    "TEST": {"NAME": _DATABASE_FILE},
}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_URL = "/static/"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGOUT_URL = "account_logout"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

MAILMAN_REST_API_URL = "http://localhost:8001"
MAILMAN_REST_API_USER = "restadmin"
MAILMAN_REST_API_PASS = "restpass"
POSTORIUS_TEMPLATE_BASE_URL = "http://localhost:8000"

MAILMAN_PGP_WEB = {
    "webhook_secret": "whsec_dGVzdHMgb2YgdGhlIHdlYiBhcHAncyB3ZWJob29rcw==",
    "webhook_api_key": "web-tests-key",
}
