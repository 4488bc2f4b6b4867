"""What a literal credential looks like: the one scanner the spec check (OBS013), the build's
output check (OBS015), `obsgen check` and the diagnostics' redaction all use.

Every pattern runs on RE2 (google-re2), whose matching time is linear in the text whatever the
text is: a 16 MiB spec of repeated near-misses (`eyj` or `events.pagerduty.com/` thousands of
times) scans in milliseconds, where a backtracking engine took minutes. RE2 has no lookahead,
so what a match must not be (a `${VAR}` reference, a path, `true`) is checked on the match.

Patterns see the lower-cased text, so every literal below is lower case; each kind runs only
when one of its anchors occurs, which keeps scanning a whole build to a few milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# kind: (pattern, what it is, anchors). Group 1, where a pattern has one, is the secret value,
# and is checked by _is_literal (and, for keys named like identifiers, _looks_random).
_KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "private_key": (r"-----begin (?:[a-z0-9]+ )*private key-----", "a private key", ("private key",)),
    "slack_token": (r"xox[abposre]-[a-z0-9-]{10,}", "a Slack token", ("xox",)),
    "slack_webhook": (r"hooks\.slack\.com/(?:services|workflows|triggers)/[a-z0-9_/-]{8,}", "a Slack webhook URL",
                      ("hooks.slack.com",)),
    "github_token": (r"gh[pousr]_[a-z0-9]{30,}", "a GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    "github_pat": (r"github_pat_[a-z0-9_]{22,}", "a GitHub token", ("github_pat_",)),
    "gitlab_token": (r"\bgl(?:pat|dt|ptt|rt|cbt|soat|ffct)-[a-z0-9_-]{20,}", "a GitLab token", ("gl",)),
    "stripe_key": (r"\b(?:sk|rk|pk)_(?:live|test)_[a-z0-9]{16,}", "a Stripe key", ("_live_", "_test_")),
    "google_api_key": (r"\baiza[0-9a-z_-]{35}", "a Google API key", ("aiza",)),
    "openai_key": (r"\bsk-(?:(?:proj|svcacct|admin|ant-api\d\d)-[a-z0-9_-]{20,}|[a-z0-9]{40,}\b)", "an API key",
                   ("sk-",)),
    "aws_key": (r"\b(?:akia|asia)[0-9a-z]{16}\b", "an AWS access key", ("akia", "asia")),
    "aws_secret": (r"aws_?secret_?access_?key[\"']?[ \t]*[:=][ \t]*[\"']?([a-z0-9/+=]{40})\b",
                   "an AWS secret access key", ("secret",)),
    "jwt": (r"eyj[a-z0-9_-]{8,}\.eyj[a-z0-9_-]{8,}\.[a-z0-9_-]{8,}", "a JSON Web Token", ("eyj",)),
    "bearer": (r"\bbearer[ \t]+([a-z0-9._~+/-]{16,}=*)", "a bearer token", ("bearer",)),
    "basic_auth": (r"authorization[\"']?[ \t]*[:=][ \t]*[\"']?basic[ \t]+([a-z0-9+/]{8,}={0,2})",
                   "basic-auth credentials", ("basic",)),
    "api_key_header": (r"\bx-(?:api|auth)-(?:key|token)[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"',;}]{12,})",
                       "an API key header", ("x-api-", "x-auth-")),
    # scheme://user:password@host, the user possibly empty (redis://:password@host).
    "url_credentials": (r"://[^\s/:@\"']*:([^\s/@\"']+)@", "a password in a URL", ("@",)),
    "url_token": (r"[?&](?:token|access[_-]?token|auth[_-]?token|private[_-]?token|api[_-]?key|apikey|key|secret|"
                  r"client[_-]?secret|password|passwd|pass|pwd|sig|signature|routing_key)=([^&#\s\"']{8,})",
                  "a token in a URL", ("=",)),
    # key = value / key: value / "key": "value", for a literal value (not a reference or a path).
    "assignment": (r"(passw(?:or)?d|secret|api_?key|access_?token|auth_?token|routing_key|service_key|"
                   r"integration_key|private_key)[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"',;}]{6,})",
                   "a password or key", ("passw", "secret", "key", "token")),
    "pagerduty_key": (r"events\.pagerduty\.com/[^\s\"']*?([0-9a-f]{32})", "a PagerDuty integration key",
                      ("pagerduty",)),
}
_NOT_VALUES = frozenset({"true", "false", "null", "none", "yes", "no"})
# Keys that name an identifier-like secret: a value there is a credential only when it looks
# generated (a PagerDuty routing key is 32 letters and digits; `routing_key: payments`, a label
# holding a team's name, is not one).
_KEY_NAMES = ("routing_key", "service_key", "integration_key")


@lru_cache(maxsize=None)
def _compiled(kind: str):
    import re2  # imported on first use: most runs scan nothing that needs it

    options = re2.Options()
    options.log_errors = False
    options.max_mem = 64 << 20
    return re2.compile(_KINDS[kind][0], options)


@dataclass(frozen=True)
class Hit:
    kind: str
    what: str
    start: int  # offset in the text
    end: int


def _is_literal(value: str) -> bool:
    """A value written out, not a reference resolved at run time (`${VAR}`, `{{ … }}`, `<…>`),
    a path, or a YAML word."""
    return bool(value) and value[0] not in "$<{/" and value not in _NOT_VALUES  # no pattern captures quotes


def _looks_random(value: str) -> bool:
    return len(value) >= 20 and value.isalnum() and any(c.isdigit() for c in value)


def _accept(kind: str, groups: tuple) -> bool:
    if kind == "assignment":
        name, value = groups
        if not _is_literal(value):
            return False
        if name in _KEY_NAMES:
            return _looks_random(value)
        if name.startswith("passw"):
            return True
        return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)  # not a word or a name
    if kind in ("url_credentials", "url_token", "bearer", "api_key_header"):
        return _is_literal(groups[0])
    return True


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters lower-case to two ('İ'): keep offsets aligned with the original text.
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def scan_text(text: str) -> list[Hit]:
    """Every credential in `text`, in order of position."""
    low = _lower(text)
    hits = []
    for kind, (_, what, anchors) in _KINDS.items():
        if not any(a in low for a in anchors):
            continue
        for m in _compiled(kind).finditer(low):
            if _accept(kind, m.groups()):
                hits.append(Hit(kind, what, m.start(), m.end()))
    hits.sort(key=lambda h: (h.start, -h.end))
    return hits


REDACTED = "[redacted]"


def redact(text: str | None) -> str | None:
    """`text` with every credential the scanner finds replaced by [redacted]."""
    if not text:
        return text
    hits = scan_text(text)
    if not hits:
        return text
    out, at = [], 0
    for h in hits:
        if h.start >= at:
            out.append(text[at:h.start])
            out.append(REDACTED)
            at = h.end
        elif h.end > at:
            at = h.end
    out.append(text[at:])
    return "".join(out)
