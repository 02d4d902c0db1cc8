"""Who may do what: roles from the allowlist a district puts in its secrets.

`viewer` may read; `editor` may also record decisions and import data. Without sign-in
configured the app runs for one local user, who is an editor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pushin_rules.models import LOCAL_USER

VIEWER = "viewer"
EDITOR = "editor"


@dataclass(frozen=True)
class Access:
    name: str
    role: str | None  # None: signed in but not on the allowlist

    @property
    def can_read(self) -> bool:
        return self.role in (VIEWER, EDITOR)

    @property
    def can_edit(self) -> bool:
        return self.role == EDITOR


def _listed(values: object) -> set[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return set()
    return {str(v).strip().lower() for v in values if str(v).strip()}


def role_for(email: str | None, allowlist: Mapping[str, object] | None) -> str | None:
    """The role of a signed-in user, from `[access] editors = [...]`, `viewers = [...]`.

    Matching ignores case. A domain entry such as "@district.org" admits everyone at that
    domain. Editors win over viewers when an address is on both lists.
    """
    if not email or not allowlist:
        return None
    address = email.strip().lower()
    domain = "@" + address.rsplit("@", 1)[-1] if "@" in address else None
    for role, key in ((EDITOR, "editors"), (VIEWER, "viewers")):
        listed = _listed(allowlist.get(key))
        if address in listed or (domain is not None and domain in listed):
            return role
    return None


def auth_configured(secrets: Mapping[str, object]) -> bool:
    """Sign-in is on when the secrets hold an `[auth]` section (Streamlit's OIDC settings)."""
    auth = secrets.get("auth") if secrets else None
    return isinstance(auth, Mapping) and len(auth) > 0


def local_access() -> Access:
    return Access(name=LOCAL_USER, role=EDITOR)
