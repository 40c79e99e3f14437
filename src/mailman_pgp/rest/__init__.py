"""The plugin's REST API, below ``/3.1/plugins/pgp/`` with Mailman's own authentication."""
