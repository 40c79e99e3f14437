"""Why a post to a PGP list was refused: the sentences the sender reads in the notice.

Each ``{}`` is filled in by Mailman when it writes the notice (a fingerprint, an
address, a detail). The subscriber guide (docs/subscriber.md) quotes every one of them;
a test keeps the two in step.
"""

NOT_ENCRYPTED = (
    "Your message was not encrypted. Posts to this list must be encrypted to the list's key "
    "and signed with your own key."
)
SIGNED_NOT_ENCRYPTED = (
    "Your message was signed but not encrypted. Posts to this list must be encrypted to the "
    "list's key and signed with your own key."
)
LIST_HAS_NO_KEY = "This list has no OpenPGP key, so it accepts no encrypted posts."
MALFORMED = "Your message is not well-formed: {}"
UNDECRYPTABLE = "The list could not decrypt your message. Encrypt it to the list's key {}."
NOT_CHECKED = "The list could not check the signature of your message."
NO_SENDER_KEY = (
    "Your address {} has no confirmed key on this list. Register your key and confirm it "
    "before posting."
)
NOT_SIGNED = "Your message was not signed. Sign it with your key {}."
BAD_SIGNATURE = (
    "The signature on your message is not valid: the message was altered after it was "
    "signed, or the signature is damaged. Your key is {}."
)
EXPIRED_KEY = "Your key {} has expired. Extend it and send the list the updated key."
REVOKED_KEY = "Your key {} has been revoked. Register a new key."
OTHER_KEY = "Your message was signed by key {}, not by your confirmed key {}."
AMBIGUOUS_AUTHOR = (
    "Your message does not name exactly one author: it needs one From header with one "
    "address."
)
TOO_LARGE = "Your message is {} KB, larger than the {} KB this list accepts."
PLAINTEXT_TOO_LARGE = (
    "Your message is larger than {} KB once decrypted and decompressed, more than this list "
    "reads."
)
TIMED_OUT = "The list could not read your message within {} seconds."
MESSAGE_ID_TAKEN = (
    "Another message with the Message-ID {} is already waiting on this server. Send your "
    "message again as a new message."
)

ALL = (
    NOT_ENCRYPTED,
    SIGNED_NOT_ENCRYPTED,
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
    AMBIGUOUS_AUTHOR,
    TOO_LARGE,
    PLAINTEXT_TOO_LARGE,
    TIMED_OUT,
    MESSAGE_ID_TAKEN,
)
