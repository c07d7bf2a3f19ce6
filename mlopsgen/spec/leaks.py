"""Spotting literal secrets in a spec: known token formats, and secret-named keys with values.

A spec is committed to git and copied into generated files, so a secret in it leaks twice.
Two signals, both cheap: a value in a well-known credential format (whatever its key is
called), and a value under a key whose words name a secret (`db_password`, `api_key`).
Databricks secret references (`{{secrets/scope/key}}`) are the right way and pass.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from functools import lru_cache

# Formats with a fixed shape, searched anywhere in a value (a token pasted into a description
# is as leaked as one standing alone).
_TOKEN_FORMATS: dict[str, str] = {
    "a Databricks personal access token": r"\bdapi[0-9a-f]{32}(-\d+)?\b",
    # OAuth secrets of Databricks service principals start with `dose`: "dose followed by the
    # secret value" (AWS Secrets Manager, Databricks Service Principal OAuth Client Secret,
    # https://docs.aws.amazon.com/secretsmanager/latest/userguide/mes-partner-DatabricksSPSecret.html).
    "a Databricks OAuth secret": r"\bdose[0-9A-Za-z]{32,}\b",
    # Microsoft Entra (Azure AD) client secrets: 40 characters, always with `Q~` after three
    # characters and a digit (https://github.com/MicrosoftDocs/azure-docs/issues/39037,
    # https://github.com/oauth2-proxy/oauth2-proxy/issues/3225).
    "an Azure AD client secret": (
        r"(?<![\w.~-])[A-Za-z0-9_.-]{3}[0-9]Q~[A-Za-z0-9_.~-]{34}(?![\w.~-])"
    ),
    # Azure DevOps PATs: 52 lowercase base32 characters, and since July 2024 84 characters
    # with the signature `AZDO` at positions 76-80 ("Changes to format" in
    # https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate).
    "an Azure DevOps personal access token": (
        r"\b([a-z2-7]{52}|[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4})\b"
    ),
    "an AWS access key": r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
    "a GitHub token": r"\bgh[pousr]_[A-Za-z0-9]{36,}\b",
    "a Slack token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    "a private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "a JSON Web Token": r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+",
    "an Azure storage key or SAS signature": r"(AccountKey=|[?&]sig=)[A-Za-z0-9%+/=]{16,}",
    "a password in a connection string": r"(?i:\b(password|pwd)=)[^;\s]{3,}",
    # scheme://user:password@host; a secret reference or a pipeline variable as the password
    # is the right way and passes.
    "a password in a URL": r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:(?![{$])[^\s/@]+@",
}
# 40 hexadecimal digits alone: a key of many services, but also a git commit hash, which
# descriptions quote ("trained at 3f2a..."): only a value that is nothing else counts.
_HEX_KEY = re.compile(r"[0-9a-fA-F]{40}")
_SECRET_WORDS = {"password", "passwd", "pwd", "secret", "token", "apikey", "credential", "pat"}
_SECRET_PAIRS = {("api", "key"), ("access", "key"), ("private", "key"), ("client", "secret")}
_REFERENCE = re.compile(r"\{\{\s*secrets/[^/\s]+/[^}\s]+\s*\}\}")
_HARMLESS = {"", "true", "false", "yes", "no", "none", "null", "changeme"}
_OPAQUE = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
_WORDS = re.compile(r"[^\s\"'`,;()<>\[\]{}]{32,}")  # long runs in text, candidates for _OPAQUE


# One pass over each value instead of one per format: every spec string goes through here.
# The formats alone are compiled (by re's cache) only to name the one that matched.
_ANY_FORMAT = re.compile("|".join(f"(?:{p})" for p in _TOKEN_FORMATS.values()))


def secret_kind(key: str | None, value: str) -> str | None:
    """What kind of secret `value` looks like, or None."""
    if _ANY_FORMAT.search(value):
        return next(kind for kind, p in _TOKEN_FORMATS.items() if re.search(p, value))
    stripped = value.strip()
    if _REFERENCE.fullmatch(stripped):
        return None
    if key is not None and _secret_name(key) and not _harmless(stripped):
        return f"a secret (the key '{key}' names one)"
    if _HEX_KEY.fullmatch(stripped):
        return "a key or token (40 hexadecimal digits)"
    if any(_random_word(word) for word in _WORDS.findall(stripped)):
        return "a key or token (a long random string)"
    return None


def _random_word(word: str) -> bool:
    # Base64 has a '/' in 1 of 64 characters; workspace paths one every ten or so.
    path_like = word.count("/") * 12 > len(word)
    return not path_like and bool(_OPAQUE.fullmatch(word)) and _looks_random(word)


@lru_cache(maxsize=1024)  # the same few keys come back in every spec
def _secret_name(key: str) -> bool:
    # Split snake, kebab, dotted and camel case into lowercase words.
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", key)]
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def _harmless(value: str) -> bool:
    return value.lower() in _HARMLESS or value.replace(".", "", 1).isdigit()


def _looks_random(value: str) -> bool:
    """Mixed letter cases and digits with high entropy: how generated keys look, not names."""
    classes = (any(c.islower() for c in value), any(c.isupper() for c in value))
    if not (all(classes) and any(c.isdigit() for c in value)):
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= 4.0
