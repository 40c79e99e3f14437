"""OpenPGP for the list: keys, encryption, signatures. No Mailman, no email imports.

What the list makes (keys, signatures, per-recipient encryption) is made in-process
with pysequoia; what the world sends is read through a Stateless OpenPGP (SOP)
command such as ``sqop``, which reads every message GnuPG and other clients produce.
Only this package imports pysequoia; its errors are translated here.
"""
