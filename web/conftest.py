"""Run from the repository's root (``pytest web``): the root conftest gives real Mailman
(its REST server with both plugins); this one sets up Django with the tests' settings,
before the tests' own conftest imports Django models."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailman_pgp_web.tests.settings")
django.setup()
