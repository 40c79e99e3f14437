"""The messages the key workflows send: a request for a key, a challenge to a key, a
request to confirm a command. Tokens for a key the list cannot yet encrypt to travel in
the clear only in a request for that key; every other token travels encrypted.
"""

from __future__ import annotations

from mailman.email.message import UserNotification
from mailman.interfaces.mailinglist import IMailingList
from public import public

from mailman_pgp.i18n import N_, translate
from mailman_pgp.mta.deliver import ENCRYPT_TO
from mailman_pgp.openpgp import Certificate

KEY_REQUEST = N_("""\
To join the {list} mailing list ({posting}), which sends and accepts only encrypted
mail, the list needs your OpenPGP public key.

Reply to this message, keeping its subject ("key set {token}"), with your public
key attached or pasted into the message. With GnuPG, this prints it:

    gpg --armor --export {email}

The list then sends you a message encrypted to that key, to prove that you hold it.
Never send your secret key. If you did not ask to join, ignore this message.
""")

CHALLENGE = N_("""\
key confirm {token}

The list received the key {fingerprint} for {email}. To prove that it is yours,
reply to this message signed with that key, keeping the first line above. Your
mail program signs when you turn on signing (in Thunderbird: OpenPGP, Digitally
Sign); with GnuPG, write the line into a file and send the output of

    gpg --clearsign --local-user {fingerprint} FILE

The line is good for {lifetime}. If you did not send this key, ignore this message.
""")

CONFIRMATION = N_("""\
confirm {token}

The {list} mailing list received a request from {email}: {action}.
To confirm it, reply to this message signed with your key {fingerprint}, keeping
the first line above. An unsigned reply, or one signed by another key, changes
nothing. The line is good for {lifetime}. If you did not ask for this, ignore
this message.
""")


@public
def send_key_request(mlist: IMailingList, email: str, token: str) -> None:
    """Ask ``email`` for their public key, the token in the (clear) subject."""
    text = translate(KEY_REQUEST).format(list=mlist.display_name, posting=mlist.posting_address,
                                         token=token, email=email)
    UserNotification(email, mlist.request_address, f"key set {token}", text,
                     mlist.preferred_language).send(mlist)


@public
def send_challenge(mlist: IMailingList, email: str, token: str, key: Certificate,
                   lifetime: str) -> None:
    """Send ``key confirm <token>`` encrypted to ``key`` alone, never in plaintext."""
    text = translate(CHALLENGE).format(token=token, fingerprint=key.fingerprint, email=email,
                                       lifetime=lifetime)
    UserNotification(email, mlist.request_address, "key confirm", text,
                     mlist.preferred_language).send(mlist, **{ENCRYPT_TO: {email: key.armor}})


@public
def send_confirmation(mlist: IMailingList, email: str, token: str, key: Certificate,
                      action: str, lifetime: str) -> None:
    """Send ``confirm <token>`` for ``action``, encrypted to ``key`` alone."""
    text = translate(CONFIRMATION).format(token=token, list=mlist.display_name, email=email,
                                          action=action, fingerprint=key.fingerprint,
                                          lifetime=lifetime)
    UserNotification(email, mlist.request_address, "confirm", text,
                     mlist.preferred_language).send(mlist, **{ENCRYPT_TO: {email: key.armor}})
