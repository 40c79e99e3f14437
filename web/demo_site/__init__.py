"""The Django site `make run` starts: Postorius, django-mailman3 and mailman_pgp_web on
SQLite, talking to the local Mailman that scripts/run_local.py runs. A demo, not a
production configuration (DEBUG is on, the secret key lives under var/)."""
