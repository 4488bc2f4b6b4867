"""An alert's annotation rendered as Prometheus renders it, for the templates obsgen can render
exactly: text, `$labels.<name>` (`.Labels.<name>`), and `$value` (`.Value`) as it is, through
`humanize`, `humanizePercentage` or `printf "%.Nf"`/`"%.Ng"`. Anything else (other functions,
pipelines, conditions, trimming markers) is None: the generated test then checks the labels only.

`$value` is rendered only where a tiny difference in how the value was computed cannot change
the text (no rounding boundary within a billionth), and as it is only when it is a whole number
below a million (Go prints 1e+06 from there on)."""
from __future__ import annotations

import math
import re

_ACTION = re.compile(r"{{(.*?)}}", re.S)
_LABEL = re.compile(r"^(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)$")
_VALUE = ("$value", ".Value")
_PRINTF = re.compile(r'^printf\s+"%\.(\d+)([fg])"$')


def _humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _g4(v) + prefix
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _g4(v) + prefix


def _g4(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return "%.4g" % v


def _format(fn: str, v: float) -> str | None:
    if fn == "":  # Go's %v: whole numbers below a million print as they are (1e+06 from there on)
        if not math.isfinite(v) or v != int(v) or abs(v) >= 1e6:
            return None
        return str(int(v))
    if fn == "humanize":
        return _humanize(v)
    if fn == "humanizePercentage":
        return _g4(v * 100) + "%"
    m = _PRINTF.match(fn)
    if m:
        return f"%.{m.group(1)}{m.group(2)}" % v
    return None


def _value(fn: str, v: float) -> str | None:
    text = _format(fn, v)
    if text is None or fn == "":
        return text
    if v != 0 and {_format(fn, v * (1 - 1e-9)), _format(fn, v * (1 + 1e-9))} != {text}:
        return None  # on a rounding boundary: Prometheus' last bit may round the other way
    return text


def render(text: str, labels: dict[str, str], value: float | None) -> str | None:
    out = []
    last = 0
    for m in _ACTION.finditer(text):
        out.append(text[last:m.start()])
        last = m.end()
        action = m.group(1)
        if action.startswith("-") or action.endswith("-"):
            return None
        action = action.strip()
        label = _LABEL.match(action)
        if label:
            if label.group(1) not in labels:
                return None
            out.append(labels[label.group(1)])
            continue
        parts = [p.strip() for p in action.split("|")]
        fn = None
        if parts[0] in _VALUE and len(parts) <= 2:
            fn = parts[1] if len(parts) == 2 else ""
        elif len(parts) == 1:
            words = action.split()
            if len(words) == 2 and words[1] in _VALUE and words[0] in ("humanize", "humanizePercentage"):
                fn = words[0]
            elif words[-1] in _VALUE and _PRINTF.match(" ".join(words[:-1])):
                fn = " ".join(words[:-1])
        if fn is None or value is None:
            return None
        rendered = _value(fn, value)
        if rendered is None:
            return None
        out.append(rendered)
    out.append(text[last:])
    result = "".join(out)
    return None if "{{" in result or "}}" in result else result


__all__ = ["render"]
