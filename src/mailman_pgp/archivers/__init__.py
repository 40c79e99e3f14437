"""Archivers of the PGP plugin, one per module, named in ``[archiver.NAME]`` sections.

Mailman does not discover archivers: it creates one for each ``[archiver.NAME]`` section
of its configuration. The plugin pushes the section of its own archiver (`ARCHIVER_NAME`)
in ``pre_hook`` unless the site's configuration has one by that name already.
"""
