"""Literal credentials: found in any string of a spec (OBS013, at the value) and in any generated
file (OBS015, at the line and column in that file), so none reaches a repository or a cluster.

The spec's own shape already refuses keys that hold secrets (`api_url`, `password`, …) and URLs
with credentials in the fields that take URLs; this scanner looks at every value, wherever it is
(an annotation, a label, a description), and at the output, which is what gets committed.
What counts: the formats of real tokens (Slack, GitHub, AWS, JWTs), private keys, Slack webhook
URLs, credentials in URLs, `Authorization: Bearer …` values, and `password=…`-style assignments
of a literal (a `${VAR}` or `{{ … }}` reference, or a path, is not a literal).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .diagnostics import Diagnostic, Pos, error
from .loader import YMap, YSeq

# Patterns run over the lower-cased text (so every literal below is lower case): a leading literal
# lets the regex engine skip ahead, which keeps scanning a whole build to a few milliseconds.
_KINDS = {
    "private_key": (r"-----begin (?:[a-z0-9]+ )*private key-----", "a private key"),
    "slack_token": (r"xox[abposre]-[a-z0-9-]{10,}", "a Slack token"),
    "slack_webhook": (r"hooks\.slack\.com/(?:services|workflows|triggers)/[a-z0-9_/-]{8,}", "a Slack webhook URL"),
    "github_token": (r"gh[pousr]_[a-z0-9]{30,}", "a GitHub token"),
    "aws_key": (r"(?:akia|asia)[0-9a-z]{16}\b", "an AWS access key"),
    "jwt": (r"eyj[a-z0-9_-]{8,}\.eyj[a-z0-9_-]{8,}\.[a-z0-9_-]{8,}", "a JSON Web Token"),
    "bearer": (r"bearer[ \t]+(?![$<{])[a-z0-9._~+/-]{16,}=*", "a bearer token"),
    "url_credentials": (r"://[^\s/:@\"']+:(?![$<{])[^\s/@\"']+@", "a password in a URL"),
    "url_token": (r"[?&](?:token|access_token|api_key|apikey|secret|password|sig|signature|routing_key)"
                  r"=(?![$<{])[^&\s\"']{8,}", "a token in a URL"),
    # key = value / key: value / "key": "value", for a literal value (not a reference or a path).
    "assignment": (r"(?:passw(?:or)?d|secret|api_?key|access_?token|auth_?token|routing_key|service_key|"
                   r"integration_key|private_key)[\"']?[ \t]*[:=][ \t]*[\"']?"
                   r"(?![$<{/\s\"'])(?!(?:true|false|null|none)\b)[^\s\"',;}]{6,}", "a password or key"),
    "pagerduty_key": (r"events\.pagerduty\.com/[^\s\"']*[0-9a-f]{32}", "a PagerDuty integration key"),
}
# Each pattern needs one of these substrings: a text without them skips the pattern.
_ANCHORS = {
    "private_key": ("private key",), "slack_token": ("xox",), "slack_webhook": ("hooks.slack.com",),
    "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), "aws_key": ("akia", "asia"), "jwt": ("eyj",),
    "bearer": ("bearer",), "url_credentials": ("@",),
    "url_token": ("token=", "key=", "secret=", "password=", "sig=", "signature="),
    "assignment": ("passw", "secret", "key", "token"), "pagerduty_key": ("pagerduty",),
}


@lru_cache(maxsize=None)
def _scanner(kinds: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?P<{k}>{_KINDS[k][0]})" for k in kinds))


@dataclass(frozen=True)
class Hit:
    kind: str
    what: str
    start: int  # offset in the text


def scan_text(text: str) -> list[Hit]:
    low = text.lower()
    kinds = tuple(k for k, anchors in _ANCHORS.items() if any(a in low for a in anchors))
    if not kinds:
        return []
    return [Hit(m.lastgroup, _KINDS[m.lastgroup][1], m.start()) for m in _scanner(kinds).finditer(low)
            if m.lastgroup is not None]


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan_tree(tree: YMap) -> list[Diagnostic]:
    """OBS013 for each string value of a loaded spec file that holds a literal credential."""
    out: list[Diagnostic] = []

    def visit(value, pos: Pos, path: str):
        if isinstance(value, YMap):
            for key, v in value.items():
                visit(v, value.val_pos[key], f"{path}.{key}" if path else key)
        elif isinstance(value, YSeq):
            for i, v in enumerate(value):
                visit(v, value.item_pos[i], f"{path}[{i}]")
        elif isinstance(value, str):
            hits = scan_text(value)
            if hits:
                out.append(error("OBS013", f"`{path}` holds {hits[0].what}; it would end up in generated files",
                                 pos, hint="keep credentials out of the spec: give the path of a file that "
                                           "holds it (*_file, credentials_file), or a reference the tool "
                                           "resolves at run time"))

    if scan_text("\n".join(_strings(tree))):  # nearly always empty: then one scan of the whole file is enough
        visit(tree, tree.pos, "")
    return out


def _strings(node) -> list[str]:
    out: list[str] = []
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            out.append(value)
    return out


def scan_files(files: dict[str, str]) -> list[Diagnostic]:
    """OBS015 for each generated file that would hold a literal credential, at its line and column."""
    out = []
    for path, text in sorted(files.items()):
        for hit in scan_text(text):
            line, col = _line_col(text, hit.start)
            out.append(error("OBS015", f"generated file would contain {hit.what}", Pos(path, line, col),
                             hint="nothing was written; find where the spec puts it and use a file reference "
                                  "instead"))
    return out
