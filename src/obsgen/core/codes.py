"""Every diagnostic code obsgen reports: one entry each, with its severity, whether a spec may
silence it, the phase that reports it, and a title. `SILENCEABLE`, the README's code table and
the tests' lists are derived from here; numbers are never reused (users silence and grep by code).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    severity: str  # "error", "warning" or "note"; `either` for the few whose severity follows the evidence
    phase: str  # discover, load, parse, resolve, check, lint, objectives, import, build
    title: str
    silenceable: bool = False


def _e(phase: str, title: str) -> Code:
    return Code("error", phase, title)


def _w(phase: str, title: str, silenceable: bool = False) -> Code:
    return Code("warning", phase, title, silenceable)


REGISTRY: dict[str, Code] = {
    "OBS001": _e("load", "YAML syntax error"),
    "OBS002": _e("load", "duplicate key in a mapping"),
    "OBS003": _e("load", "tag not allowed (only plain YAML data)"),
    "OBS004": _e("load", "aliases expand too far, or nesting too deep"),
    "OBS005": _e("load", "file cannot be read, or is not UTF-8 text"),
    "OBS006": _e("load", "a spec file's top level must be a mapping"),
    "OBS007": _e("check", "apiVersion missing or unsupported"),
    "OBS010": _e("parse", "unknown key"),
    "OBS011": _e("parse", "wrong type or value"),
    "OBS012": _e("parse", "required key missing"),
    "OBS013": _e("parse", "literal secret in the spec"),
    "OBS015": _e("build", "a generated file would contain a literal credential"),
    "OBS020": _e("check", "duplicate name"),
    "OBS021": _e("check", "reference to something that does not exist"),
    "OBS022": _e("resolve", "section defined in more than one file"),
    "OBS023": _e("discover", "no spec files found"),
    "OBS030": _e("check", "PromQL expression does not parse"),
    "OBS031": _e("check", "template does not parse, or escapes its place"),
    "OBS032": _e("check", "name not allowed"),
    "OBS033": _e("resolve", "an environment changes the name an override finds its object by"),
    "OBS034": _e("check", "SLO does not match the metric catalog"),
    "OBS035": _w("check", "SLO alerting cannot work as declared", silenceable=True),
    "OBS036": _e("check", "regular expression the consuming tool (Go's RE2) refuses"),
    "OBS037": _e("check", "PromQL expression over obsgen's size limits (length, nesting, operators)"),
    "OBS038": _e("check", "a timeout longer than the interval it runs in"),
    "OBS039": _e("check", "log shipping that Fluent Bit cannot do as declared"),
    "OBS040": _e("import", "cannot be expressed in obsgen (import)"),
    "OBS041": _e("import", "not a valid document of the imported format"),
    "OBS042": _w("import", "imported as an approximation"),
    "OBS043": _e("check", "sharding that cannot work as declared"),
    "OBS044": _w("check", "sharding setting that has no effect"),
    "OBS045": _e("check", "a setting the Prometheus Operator's resources cannot express"),
    "OBS046": _e("check", "a notification channel that is used but not configured"),
    "OBS047": _e("check", "tracing settings that do not work together"),
    "OBS048": _w("check", "tracing setting that has no effect"),
    # Lint: PromQL-aware checks across the catalog, rules, dashboards and routing.
    "OBS049": _w("check", "a panel setting its panel type does not use (it has no effect)"),
    "OBS050": _w("lint", "metric nothing provides (with \"did you mean\")", True),
    "OBS051": _w("lint", "label in a matcher, `by`/`without`, `on`/`ignoring`, `group_*` that the series "
                         "cannot have", True),
    "OBS052": Code("either", "lint", "counter used raw: an error where a function reads a declared counter as a "
                                     "level (delta, *_over_time, quantiles of raw buckets); comparing, computing "
                                     "with or returning it, or a type guessed from a name, and `rate` over a gauge: "
                                     "a warning", True),
    "OBS053": _e("lint", "`histogram_quantile` not over buckets, or after a grouping that drops `le`"),
    "OBS054": _w("lint", "range shorter than twice the scrape (or evaluation) interval of what it reads", True),
    "OBS055": _e("lint", "alert without a condition: it fires whenever its series exist"),
    "OBS056": _w("lint", "`for` shorter than the evaluation interval", True),
    "OBS057": _w("lint", "alert name not CamelCase", True),
    "OBS058": _w("lint", "alert without summary or description", True),
    "OBS059": _w("lint", "critical alert without a runbook URL", True),
    "OBS060": _w("lint", "a team's alerts of a severity reach none of its channels", True),
    "OBS061": _w("lint", "a route nothing matches (category route, team channels for a severity it never gets)", True),
    "OBS062": _w("lint", "a team with channels that no alert reaches", True),
    "OBS063": _w("check", "silence that is invalid or silences nothing"),
    "OBS064": Code("error", "lint", "a query matches an external label, which the Prometheus it runs on never sees",
                   True),
    "OBS065": _e("check", "a dashboard query uses a variable the dashboard does not declare"),
    "OBS066": _w("lint", "critical alert without `for`: it pages on the first evaluation", True),
    "OBS067": _w("lint", "counter name does not end in _total (a convention, not a rule)", True),
    "OBS068": Code("note", "check", "a dashboard uses `extra` (Grafana JSON obsgen does not model), or a panel type "
                                    "obsgen builds as another (legacy) or does not model (plugin)"),
    "OBS069": _w("import", "imported into `extra`: Grafana JSON obsgen does not model, written back as given"),
    "OBS070": _w("objectives", "alert notifies later than the time-to-notify objective", True),
    "OBS071": _e("objectives", "monitoring coverage below the objective"),
    "OBS072": _w("check", "panel positions Grafana would rearrange (outside their row, overlapping)"),
    "OBS073": _w("check", "a dashboard panel with no query on a Prometheus or Loki datasource (it shows no data)"),
    "OBS074": _w("lint", "a pack's heartbeat (Watchdog) left out: no route of the spec's own sends it to a dead "
                         "man's switch", True),
    "OBS075": _e("check", "an exporter collector its catalog does not know"),
    "OBS076": _e("check", "a service type's signals missing or named for another type"),
    "OBS077": _w("lint", "`histogram_quantile(...) > t` with t at or above the histogram's last finite bucket: "
                         "it never fires", True),
    "OBS080": _e("check", "setting needs a newer Alertmanager than the spec targets"),
    "OBS082": _e("check", "setting the targeted Prometheus does not have (global.prometheus_version)"),
    "OBS083": _w("check", "TLS certificate verification turned off (insecure_skip_verify)"),
    "OBS084": _w("check", "an escape hatch: Prometheus settings written as given, unchecked by obsgen"),
    "OBS081": _w("import", "a literal secret imported as a file reference (put the value in that file)"),
    "OBS086": _e("check", "a test written in the spec that cannot check what it says (series, labels, annotations)"),
    "OBS085": _w("check", "two rules of one alert with the same severity and labels (one alert when both fire)"),
}
# Lint errors (OBS053, OBS055) and the coverage objective can be silenced on their object too.
for _code in ("OBS053", "OBS055", "OBS071"):
    REGISTRY[_code] = Code(REGISTRY[_code].severity, REGISTRY[_code].phase, REGISTRY[_code].title, True)

CODES: dict[str, str] = {code: c.title for code, c in REGISTRY.items()}
SILENCEABLE: frozenset[str] = frozenset(code for code, c in REGISTRY.items() if c.silenceable)


def markdown_table() -> str:
    """The README's table of codes."""
    rows = ["| code | severity | silenceable | what |", "| --- | --- | --- | --- |"]
    for code, c in REGISTRY.items():
        severity = "error or warning" if c.severity == "either" else c.severity
        rows.append(f"| {code} | {severity} | {'yes' if c.silenceable else ''} | {c.title} |")
    return "\n".join(rows) + "\n"
