"""A corpus of posts to a PGP list as real clients make them, built with real GnuPG at test time.

One GnuPG home holds every sender's key pair (ed25519/cv25519, made once per test module);
`CorpusMaker` writes each post as the client it imitates would: GnuPG's own PGP/MIME,
Thunderbird's protected headers, RFC 9788 headers, inline PGP, the manglings of
draft-dkg-openpgp-pgpmime-message-mangling, replays. Each `Post` says which policy case
it meets first (None for a good post) and which words of it exist only inside the
encryption, so a test can look for them where they must never be.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from email.utils import formataddr, make_msgid
from pathlib import Path
from uuid import uuid4

from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.testing.client_mail import (
    crlf,
    exchange_mixed_up,
    footer_wrapped,
    headers_text,
    inline_message,
    pgp_mime_message,
    pgp_mime_signed_entity,
    quoted_printable,
    text_body,
)
from mailman_pgp.testing.gnupg import GnuPGClient

DATE = "Tue, 24 Nov 2026 01:00:00 +0000"
# When the back-dated key was made and signed with (gpg --faked-system-time).
LONG_AGO = "20200101T000000"
SIGNED_LONG_AGO = "20200601T000000"
EXPIRED_LONG_AGO = "20200701T000000"
ATTACHMENT_SIZE = 5 * 1024 * 1024
LIST_FOOTER = ("_______________________________________________\n"
               "Relay list -- relay@lists.example.org\n"
               "To unsubscribe send an email to relay-leave@lists.example.org\n")


def secret_word(what: str) -> str:
    """A word that occurs only in one post's plaintext: ``what`` and a random tag."""
    return f"{what}-{uuid4().hex[:12]}"


@dataclass(frozen=True)
class Post:
    """One post of the corpus, as it travels to the list (LF line ends).

    ``case`` is the first policy case the post meets (None: a good post that every
    member with a key receives); ``text`` is what its author wrote (what members must
    read); ``secrets`` are words that exist only inside its encryption (its text, and
    its subject when it travels in protected headers).
    """

    name: str
    raw: bytes
    sender: str
    case: PolicyCase | None
    text: str = ""
    secrets: tuple[str, ...] = field(default=())
    # What else makes the post's fate differ from what ``case`` alone says.
    note: str = ""


class CorpusMaker:
    """Writes the posts of one sender set to one list, with the senders' shared GnuPG."""

    def __init__(self, gpg: GnuPGClient, list_address: str, list_fingerprint: str) -> None:
        self.gpg = gpg
        self.list_address = list_address
        self.list_fingerprint = list_fingerprint

    # -- pieces ----------------------------------------------------------------------------

    def headers(self, sender: str, subject: str, *, display_name: str = "",
                message_id: str | None = None) -> dict[str, str]:
        return {
            "From": formataddr((display_name, sender), "utf-8") if display_name else sender,
            "To": self.list_address,
            "Subject": subject,
            "Date": DATE,
            "Message-ID": message_id or make_msgid(domain="corpus.example.org"),
        }

    def encrypt(self, data: bytes, signer: str | None, *, faked_time: str | None = None,
                compress: bool = True) -> bytes:
        """``gpg --encrypt`` to the list key (``--sign`` as ``signer``), armored."""
        signing = ["--sign", "--local-user", signer] if signer else []
        compression = [] if compress else ["--compress-algo", "none"]
        return self.gpg.run("--armor", "--encrypt", "--recipient", self.list_fingerprint,
                            *signing, *compression, input=data,
                            faked_time=f"{faked_time}!" if faked_time else None).output

    def pgp_mime(self, sender: str, entity: bytes, *, signer: str | None = None,
                 subject: str = "A post", faked_time: str | None = None,
                 **header_options: str) -> bytes:
        """A PGP/MIME post of ``entity``, GnuPG's default: signed, compressed, encrypted."""
        armor = self.encrypt(entity, signer, faked_time=faked_time)
        return pgp_mime_message(armor, self.headers(sender, subject, **header_options))

    # -- the posts -------------------------------------------------------------------------

    def signed_and_encrypted(self, name: str, sender: str, *, signer: str | None = None,
                             case: PolicyCase | None = None, faked_time: str | None = None,
                             note: str = "") -> Post:
        """GnuPG's default PGP/MIME: one OpenPGP message, signed, compressed, encrypted."""
        word = secret_word(name)
        text = f"Grüße from {name}: {word}\nZweite Zeile.\n"
        raw = self.pgp_mime(sender, text_body(text), signer=signer or sender,
                            faked_time=faked_time)
        return Post(name, raw, sender, case, text, (word,), note)

    def unsigned(self, sender: str) -> Post:
        word = secret_word("unsigned")
        text = f"Not signed: {word}\n"
        raw = pgp_mime_message(self.encrypt(text_body(text), None),
                               self.headers(sender, "An unsigned post"))
        return Post("unsigned-encrypted", raw, sender, PolicyCase.unsigned, text, (word,))

    def signed_then_encrypted(self, sender: str) -> Post:
        """RFC 3156 6.1: a multipart/signed entity, encrypted without a signature of its own."""
        word = secret_word("signed-then-encrypted")
        text = f"Signed inside: {word}\n"
        content = text_body(text)
        signed = pgp_mime_signed_entity(content, self.gpg.sign_detached(content, sender))
        raw = pgp_mime_message(self.encrypt(signed, None), self.headers(sender, "Signed first"))
        return Post("signed-then-encrypted", raw, sender, None, text, (word,))

    def bad_signature(self, sender: str) -> Post:
        """Signed then encrypted, the signed text changed after signing (as a careless
        relay or an attacker before encryption would)."""
        word = secret_word("bad-signature")
        text = f"Changed after signing: {word}\n"
        content = text_body(text)
        signature = self.gpg.sign_detached(content, sender)
        signed = pgp_mime_signed_entity(content.replace(b"Changed", b"Altered"), signature)
        raw = pgp_mime_message(self.encrypt(signed, None), self.headers(sender, "Altered"))
        return Post("bad-signature", raw, sender, PolicyCase.bad_signature,
                    text.replace("Changed", "Altered"), (word,))

    def encrypted_then_signed(self, sender: str) -> Post:
        """A multipart/signed whose signed part is the multipart/encrypted (not RFC 3156)."""
        word = secret_word("encrypted-then-signed")
        text = f"Signed outside: {word}\n"
        armor = self.encrypt(text_body(text), None).decode("ascii")
        encrypted = crlf(
            'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n'
            ' boundary="enc-then-sig"\n\n'
            "--enc-then-sig\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
            "--enc-then-sig\nContent-Type: application/octet-stream\n\n"
            + armor + "\n--enc-then-sig--\n")
        signed = pgp_mime_signed_entity(encrypted, self.gpg.sign_detached(encrypted, sender))
        raw = crlf(headers_text(self.headers(sender, "Encrypted first")) + "MIME-Version: 1.0\n"
                   ) + signed
        return Post("encrypted-then-signed", raw, sender, PolicyCase.unencrypted, text,
                    (word,), note="the encryption is under the signature, not around it")

    def inline_encrypted(self, sender: str) -> Post:
        word = secret_word("inline-encrypted")
        text = f"Inline and encrypted: {word}\nÄrger über Öl.\n"
        armor = self.encrypt(text.encode("utf-8"), sender)
        raw = inline_message(armor, self.headers(sender, "An inline post"))
        return Post("inline-encrypted", raw, sender, None, text, (word,))

    def inline_clearsigned(self, sender: str) -> Post:
        text = f"Signed in the clear: {secret_word('clearsigned')}\n"
        signed = self.gpg.clearsign(text.encode("utf-8"), sender)
        head = headers_text(self.headers(sender, "A clear-signed post")) + (
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n")
        return Post("inline-clearsigned", head.encode() + signed, sender,
                    PolicyCase.unencrypted, text)

    def plaintext(self, sender: str) -> Post:
        text = f"Plain text: {secret_word('plaintext')}\n"
        raw = (headers_text(self.headers(sender, "A plain post"))
               + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
               "Content-Transfer-Encoding: 8bit\n\n" + text).encode("utf-8")
        return Post("plaintext", raw, sender, PolicyCase.unencrypted, text)

    def thunderbird_v1(self, sender: str) -> Post:
        """Thunderbird: the real Subject inside (protected-headers="v1"), "..." outside."""
        word, subject = secret_word("tb-body"), secret_word("tb-subject")
        text = f"Thunderbird says: {word}\n"
        message_id = make_msgid(domain="corpus.example.org")
        inner = crlf(
            f'Content-Type: multipart/mixed; boundary="tbv1"; protected-headers="v1"\n'
            f"From: {sender}\nTo: {self.list_address}\nMessage-ID: {message_id}\n"
            f"Subject: Secret subject {subject}\n\n"
            "--tbv1\nContent-Type: text/plain; charset=UTF-8; format=flowed\n"
            "Content-Transfer-Encoding: quoted-printable\n\n"
        ) + quoted_printable(text) + b"\r\n--tbv1--\r\n"
        raw = self.pgp_mime(sender, inner, signer=sender, subject="...", message_id=message_id)
        return Post("thunderbird-protected-headers-v1", raw, sender, None, text,
                    (word, subject))

    def rfc9788(self, sender: str) -> Post:
        """RFC 9788 header protection: hp="cipher", the outer values in HP-Outer fields."""
        word, subject = secret_word("hp-body"), secret_word("hp-subject")
        text = f"Header protection: {word}\n"
        message_id = make_msgid(domain="corpus.example.org")
        inner = crlf(
            'Content-Type: text/plain; charset="utf-8"; hp="cipher"\n'
            "Content-Transfer-Encoding: quoted-printable\n"
            f"Date: {DATE}\nFrom: {sender}\nTo: {self.list_address}\n"
            f"Message-ID: {message_id}\nSubject: Protected {subject}\n"
            f"HP-Outer: Date: {DATE}\nHP-Outer: From: {sender}\n"
            f"HP-Outer: To: {self.list_address}\nHP-Outer: Message-ID: {message_id}\n"
            "HP-Outer: Subject: [...]\n\n"
        ) + quoted_printable(text)
        raw = self.pgp_mime(sender, inner, signer=sender, subject="[...]",
                            message_id=message_id)
        return Post("rfc9788-protected-headers", raw, sender, None, text, (word, subject))

    def non_ascii(self, sender: str) -> Post:
        """RFC 2047 encoded From name and Subject, a UTF-8 quoted-printable body."""
        word = secret_word("utf8")
        text = f"Ünïcödé ✓ € 日本語: {word}\n"
        raw = self.pgp_mime(sender, text_body(text), signer=sender,
                            subject="Grüße aus Köln ✓", display_name="Jürgen Größ")
        return Post("non-ascii-utf8", raw, sender, None, text, (word,))

    def latin1(self, sender: str) -> Post:
        word = secret_word("latin1")
        text = f"Déjà vu, à bientôt, Ærø: {word}\n"
        entity = crlf("Content-Type: text/plain; charset=ISO-8859-1\n"
                      "Content-Transfer-Encoding: quoted-printable\n\n"
                      ) + quoted_printable(text, "iso-8859-1")
        raw = self.pgp_mime(sender, entity, signer=sender,
                            subject="=?ISO-8859-1?Q?Caf=E9_cr=E8me?=")
        return Post("non-ascii-latin1", raw, sender, None, text, (word,))

    def big_attachment(self, sender: str) -> Post:
        """A text and a 5 MB binary attachment (random: it does not compress)."""
        word = secret_word("attachment")
        text = f"See the attachment: {word}\n"
        data = base64.encodebytes(os.urandom(ATTACHMENT_SIZE))
        entity = crlf(
            'Content-Type: multipart/mixed; boundary="att5mb"\n\n'
            "--att5mb\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: quoted-printable\n\n"
        ) + quoted_printable(text) + crlf(
            "\n--att5mb\nContent-Type: application/octet-stream; name=\"photo.raw\"\n"
            "Content-Disposition: attachment; filename=\"photo.raw\"\n"
            "Content-Transfer-Encoding: base64\n\n") + crlf(data) + b"--att5mb--\r\n"
        raw = self.pgp_mime(sender, entity, signer=sender, subject="A big attachment")
        return Post("attachment-5mb", raw, sender, None, text, (word,),
                    note="larger than the list's max_message_size: held for a moderator")

    def footer_wrapped(self, post: Post) -> Post:
        """``post`` as a relay list passed it on: wrapped in multipart/mixed with a footer."""
        return Post("mangled-list-footer", footer_wrapped(post.raw, LIST_FOOTER), post.sender,
                    post.case, post.text, post.secrets)

    def exchange_mixed_up(self, post: Post) -> Post:
        """``post`` as some Exchange servers pass it on ("mixed-up" encryption)."""
        return Post("mangled-exchange-mixed-up", exchange_mixed_up(post.raw), post.sender,
                    post.case, post.text, post.secrets)

    def in_new_envelope(self, post: Post) -> Post:
        """``post``'s signed ciphertext under new headers: a new Message-ID, a lure of a
        Subject and a Reply-To to the attacker."""
        head, _, body = post.raw.partition(b"\n\n")
        lines = [line for line in head.split(b"\n")
                 if not line.lower().startswith((b"message-id:", b"subject:"))]
        lines += [f"Message-ID: {make_msgid(domain='attacker.example.net')}".encode(),
                  b"Subject: URGENT: wire the money today",
                  b"Reply-To: mallory@attacker.example.net"]
        return Post("replay-new-envelope", b"\n".join(lines) + b"\n\n" + body, post.sender,
                    PolicyCase.replay, post.text, post.secrets)


def write_corpus(posts: dict[str, Post], directory: Path) -> None:
    """Each post as ``<name>.eml`` in ``directory``, to look at when a test fails."""
    directory.mkdir(parents=True, exist_ok=True)
    for post in posts.values():
        (directory / f"{post.name}.eml").write_bytes(post.raw)
