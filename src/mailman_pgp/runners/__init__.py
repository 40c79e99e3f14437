"""Runners the plugin puts in the place of Mailman's, by configuration, wrapping them."""
