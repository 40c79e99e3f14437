"""Why a post to a PGP list was refused: the sentences the sender reads in the notice.

Each ``{}`` is filled in by Mailman when it writes the notice (a fingerprint, an
address, a detail). Marked for translation (`N_`) and kept in English here; Mailman
translates each when it writes the notice (``format_reasons``), as it does its own
reasons. The subscriber guide (docs/subscriber.md) quotes every one of them; a test keeps
the two in step.
"""

from mailman_pgp.i18n import N_

NOT_ENCRYPTED = N_(
    "Your message was not encrypted. Posts to this list must be encrypted to the list's key "
    "and signed with your own key."
)
SIGNED_NOT_ENCRYPTED = N_(
    "Your message was signed but not encrypted. Posts to this list must be encrypted to the "
    "list's key and signed with your own key."
)
ENCRYPTED_THEN_SIGNED = N_(
    "Your message was encrypted and then signed outside the encryption, so the signature "
    "covers only the encrypted data, not your text. Sign inside the encryption instead: "
    "with GnuPG, gpg --sign --encrypt; in Thunderbird or Mutt, turn on encryption and "
    "signing together."
)
LIST_HAS_NO_KEY = N_("This list has no OpenPGP key, so it accepts no encrypted posts.")
MALFORMED = N_("Your message is not well-formed: {}")
UNDECRYPTABLE = N_("The list could not decrypt your message. Encrypt it to the list's key {}.")
NOT_CHECKED = N_("The list could not check the signature of your message.")
NO_SENDER_KEY = N_(
    "Your address {} has no confirmed key on this list. Register your key and confirm it "
    "before posting."
)
NOT_SIGNED = N_("Your message was not signed. Sign it with your key {}.")
BAD_SIGNATURE = N_(
    "The signature on your message is not valid: the message was altered after it was "
    "signed, or the signature is damaged. Your key is {}."
)
EXPIRED_KEY = N_("Your key {} has expired. Extend it and send the list the updated key.")
REVOKED_KEY = N_("Your key {} has been revoked. Register a new key.")
OTHER_KEY = N_("Your message was signed by key {}, not by your confirmed key {}.")
INLINE_PGP = N_(
    "Your message uses inline PGP (armored text in the body). This list takes PGP/MIME: "
    "set your mail program to send OpenPGP as PGP/MIME."
)
REPLAYED = N_(
    "Your message carries a signature this list has already received. Send a new message, "
    "signed anew."
)
SIGNATURE_TOO_OLD = N_(
    "Your message was signed at {}, longer ago than this list accepts ({}). Send it again, "
    "signed anew."
)
SIGNATURE_IN_FUTURE = N_(
    "Your message says it was signed at {}, which is in the future. Check your computer's "
    "clock and send the message again."
)
AMBIGUOUS_AUTHOR = N_(
    "Your message does not name exactly one author: it needs one From header with one "
    "address."
)
TOO_COMPLEX = N_("Your message is more complex than this list reads: {}")
# The reasons a post is held for a moderator, rather than refused.
TOO_LARGE = N_(
    "Your message is {} KB, larger than the {} KB this list accepts without a moderator's "
    "approval."
)
OVER_LIST_LIMIT = N_(
    "Your message is larger than {} KB once decrypted and decompressed, more than this list "
    "accepts without a moderator's approval."
)
TIMED_OUT = N_(
    "The list could not read your message within {} seconds. A moderator can have it read "
    "again."
)
PLAINTEXT_TOO_LARGE = N_(
    "Your message is larger than {} KB once decrypted and decompressed, more than this list "
    "reads."
)
MESSAGE_ID_TAKEN = N_(
    "Another message with the Message-ID {} is already waiting on this server. Send your "
    "message again as a new message."
)

ALL = (
    NOT_ENCRYPTED,
    SIGNED_NOT_ENCRYPTED,
    ENCRYPTED_THEN_SIGNED,
    LIST_HAS_NO_KEY,
    MALFORMED,
    UNDECRYPTABLE,
    NOT_CHECKED,
    NO_SENDER_KEY,
    NOT_SIGNED,
    BAD_SIGNATURE,
    EXPIRED_KEY,
    REVOKED_KEY,
    OTHER_KEY,
    INLINE_PGP,
    REPLAYED,
    SIGNATURE_TOO_OLD,
    SIGNATURE_IN_FUTURE,
    AMBIGUOUS_AUTHOR,
    TOO_COMPLEX,
    TOO_LARGE,
    OVER_LIST_LIMIT,
    TIMED_OUT,
    PLAINTEXT_TOO_LARGE,
    MESSAGE_ID_TAKEN,
)
