"""Settings of the `make run` demo site; everything it writes is under ``var/web/``.

scripts/run_local.py sets ``MAILMAN_PGP_DEMO_VAR`` (default: ``var/web`` of the checkout)
and writes the files read here: the Django secret key, and the webhook key and secret
shared with the local Mailman's ``[endpoint.web]``.
"""

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("MAILMAN_PGP_DEMO_VAR", CHECKOUT / "var" / "web"))

DEBUG = True
SECRET_KEY = (VAR / "secret-key").read_text().strip()
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "example.com", ".example.com"]
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "postorius",
    "django_mailman3",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_gravatar",
    "mailman_pgp_web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_mailman3.middleware.TimezoneMiddleware",
    "postorius.middleware.PostoriusMiddleware",
]

ROOT_URLCONF = "demo_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.i18n",
                "django.template.context_processors.media",
                "django.template.context_processors.static",
                "django.template.context_processors.tz",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django_mailman3.context_processors.common",
                "postorius.context_processors.postorius",
            ],
        },
    },
]

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR / "web.db")},
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "list_index"
LOGOUT_URL = "account_logout"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = str(VAR / "static")

# Mail the site sends (address confirmations) goes to the SMTP sink of `make run`.
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("MAILMAN_PGP_DEMO_SMTP_PORT", "8025"))
DEFAULT_FROM_EMAIL = "postorius@example.com"
SERVER_EMAIL = "root@example.com"

# The local Mailman's REST (scripts/run_local.py), as Postorius reads it.
MAILMAN_REST_API_URL = os.environ.get("MAILMAN_PGP_DEMO_REST_URL", "http://127.0.0.1:8001")
MAILMAN_REST_API_USER = "restadmin"
MAILMAN_REST_API_PASS = "restpass"
POSTORIUS_TEMPLATE_BASE_URL = "http://127.0.0.1:8000"

# The app's block: the webhook endpoint `web` of the local Mailman (var/etc/webhooks.cfg)
# posts to /pgp/webhooks/ with this key and secret.
MAILMAN_PGP_WEB = {
    "webhook_secret": (VAR / "webhook-secret").read_text().strip(),
    "webhook_api_key": (VAR / "webhook-key").read_text().strip(),
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The development server logs each request line; the receiver's carries its ?key=.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_webhook_key": {"()": "mailman_pgp_web.log_filters.RedactWebhookKey"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO",
                          "filters": ["redact_webhook_key"], "propagate": False},
        "mailman_pgp_web": {"handlers": ["console"], "level": "INFO"},
        "postorius": {"handlers": ["console"], "level": "INFO"},
    },
}
