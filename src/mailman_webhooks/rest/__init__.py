"""The plugin's REST API below ``/3.1/plugins/<name>/``: endpoints and deliveries."""
