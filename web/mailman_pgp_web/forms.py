"""Forms of the pages: a PGP list's settings (built from what REST answers), a key upload."""

from __future__ import annotations

import re
from typing import Any

from django import forms

# Mailman's moderation actions (mailman.interfaces.action.Action), what the PGP
# list's policies take.
ACTIONS = ("hold", "reject", "discard", "accept", "defer")
KEY_SIGNERS = ("nobody", "administrators", "members")
MAX_KEY_BYTES = 256 * 1024
_FIELD_IN_ERROR = re.compile(r'Invalid Parameter "([^"]+)"')


class PGPListSettingsForm(forms.Form):
    """One field per setting that ``GET lists/<list_id>`` shows, so that a setting added
    to REST appears here without a change to the app: a switch for a boolean, a choice for
    a policy (``*_action``) or ``key_signers``, a text field for anything else."""

    def __init__(self, settings: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, initial=settings, **kwargs)
        for name, value in sorted(settings.items()):
            label = name.replace("_", " ").capitalize()
            field: forms.Field
            if isinstance(value, bool):
                field = forms.BooleanField(label=label, required=False)
            elif name.endswith("_action"):
                field = forms.ChoiceField(label=label, choices=[(a, a) for a in ACTIONS])
            elif name == "key_signers":
                field = forms.ChoiceField(label=label, choices=[(s, s) for s in KEY_SIGNERS])
            elif isinstance(value, int):
                field = forms.IntegerField(label=label)
            else:
                field = forms.CharField(label=label, required=False)
            self.fields[name] = field

    def changed_values(self) -> dict[str, Any]:
        """The cleaned values that differ from what REST answered."""
        return {name: self.cleaned_data[name] for name in self.changed_data}

    def refused(self, description: str) -> None:
        """Show REST's 400 ``description`` at the field it names, or above the form."""
        match = _FIELD_IN_ERROR.search(description)
        field = match.group(1) if match and match.group(1) in self.fields else None
        self.add_error(field, description)


class KeyUploadForm(forms.Form):
    """A public key, pasted or as a file, and the list whose challenge proves it."""

    list_id = forms.ChoiceField(label="List")
    public_key = forms.CharField(label="Public key (ASCII armor)", required=False,
                                 widget=forms.Textarea(attrs={"rows": 8}))
    key_file = forms.FileField(label="or a key file", required=False)

    def __init__(self, list_ids: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["list_id"].choices = [(each, each) for each in list_ids]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        upload = cleaned.get("key_file")
        if upload is not None:
            if upload.size > MAX_KEY_BYTES:
                raise forms.ValidationError("This file is too large for a public key.")
            try:
                cleaned["public_key"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(
                    "Send the key ASCII-armored (gpg --armor --export).") from error
        if not cleaned.get("public_key", "").strip():
            raise forms.ValidationError("Paste your public key or choose its file.")
        return cleaned
