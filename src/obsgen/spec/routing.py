"""`routing`: Alertmanager's routing, timing, time intervals, inhibition, SMTP; and, beside the
team/severity/category routes obsgen builds, routes on any matchers to receivers of the spec's own,
and inhibit rules on any matchers."""
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, create_model, model_validator

from obsgen.core.routes import parse_matchers
from obsgen.spec.base import (
    CategoryName,
    ChannelName,
    Duration,
    FilePath,
    LabelName,
    Name,
    PositiveDuration,
    SeverityName,
    Spec,
)
from obsgen.spec.integrations import INTEGRATIONS, MODELS, GlobalSettings, Integration, TracingSettings, example_of

IntervalName = Annotated[str, Field(pattern=r"^\S(.{0,126}\S)?$", description="a time interval's name",
                                    examples=["business-hours", "weekends"])]


class Timing(Spec):
    group_wait: Duration | None = Field(
        None, description="how long Alertmanager waits to batch the first notification of a new group; where a "
                          "severity and a category both set it, the shorter wins. Unset: routing.group_wait",
        examples=["5s", "1m"])
    group_interval: PositiveDuration | None = Field(
        None, description="how long to wait before notifying about alerts added to a group already notified; the "
                          "shorter of severity's and category's wins. Unset: routing.group_interval",
        examples=["5m"])
    repeat_interval: PositiveDuration | None = Field(
        None, description="how long to wait before repeating a notification for alerts still firing; the shorter "
                          "of severity's and category's wins. Unset: routing.repeat_interval",
        examples=["5m", "1h"])
    mute_during: list[IntervalName] = Field(default_factory=list, description="time intervals (names in "
                                                                      "routing.time_intervals) when these "
                                                                      "notifications are muted",
                                    examples=[["maintenance-window"]])
    active_during: list[IntervalName] = Field(default_factory=list, description="time intervals (names in "
                                                                        "routing.time_intervals) outside which these "
                                                                        "notifications are muted; alerts still "
                                                                        "firing are sent when one starts",
                                      examples=[["business-hours"]])


_CLOCK = r"([01]\d|2[0-3]):[0-5]\d|24:00"
_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (r"(january|february|march|april|may|june|july|august|september|october|november|december"
          r"|[1-9]|1[0-2])")


_ORDER = {name: i for i, name in enumerate(
    ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))}  # Alertmanager's week
_ORDER.update({name: i + 1 for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"))})


def _range_of(item: str, example: str):
    pattern = re.compile(rf"^{item}(:{item})?$")

    def check(v: str) -> str:
        if not pattern.fullmatch(v):
            raise ValueError(f"{v!r} is not a value or range like {example}")
        if ":" in v:
            start, end = (_ORDER.get(x, int(x) if x.lstrip("-").isdigit() else 0) for x in v.split(":"))
            if (start >= 0) == (end >= 0) and start > end:  # Alertmanager refuses it (its week starts on Sunday)
                raise ValueError(f"{v!r}: the range ends before it starts"
                                 + (" (weeks run sunday to saturday: write the days one by one)"
                                    if v.split(":")[0] in _ORDER and not v.split(":")[0].isdigit()
                                    and v.split(":")[0].endswith("day") else ""))
        return v
    return AfterValidator(check)


def _zone(v: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only specs that name a zone pay for it

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {v!r} (an IANA name like Europe/Amsterdam)") from None
    return v


class TimeRangeOfDay(Spec):
    start: Annotated[str, Field(pattern=f"^({_CLOCK})$")] = Field(
        description="start of the range, HH:MM (24-hour clock), in the interval's location", examples=["09:00"])
    end: Annotated[str, Field(pattern=f"^({_CLOCK})$")] = Field(
        description="end of the range, HH:MM, after start (24:00 for midnight; split a range that crosses "
                    "midnight in two)", examples=["17:30"])

    @model_validator(mode="after")
    def _order(self):
        if self.start >= self.end:
            raise ValueError("start must be before end (split ranges that cross midnight in two)")
        return self


class TimeIntervalSpec(Spec):
    """When a time interval holds: every field given must match (Alertmanager's time_intervals)."""

    times: list[TimeRangeOfDay] = Field(default_factory=list, description="times of day, in `location`; empty: "
                                                                          "all day",
                                        examples=[[{"start": "08:00", "end": "18:00"}]])
    weekdays: list[Annotated[str, _range_of(_WEEKDAY, "monday:friday")]] = Field(
        default_factory=list, description="days of the week (lowercase names) or ranges of them; empty: every day",
        examples=[["monday:friday"], ["saturday", "sunday"]])
    days_of_month: list[Annotated[str, _range_of(r"-?([1-9]|[12]\d|3[01])", "1:7 or -1")]] = Field(
        default_factory=list, description="days of the month or ranges; negative numbers count from the end (-1 is "
                                          "the last day); empty: every day", examples=[["1:7", "-1"]])
    months: list[Annotated[str, _range_of(_MONTH, "january:march or 1:3")]] = Field(
        default_factory=list, description="months, by lowercase name or number (1-12), or ranges; empty: every "
                                          "month", examples=[["december"], ["january:march"]])
    years: list[Annotated[str, _range_of(r"\d{4}", "2026:2027")]] = Field(
        default_factory=list, description="years or ranges of years; empty: every year", examples=[["2026:2027"]])
    location: Annotated[str, AfterValidator(_zone)] | None = Field(
        None, description="IANA time zone the times and days are in; unset: UTC", examples=["America/New_York",
                                                                                            "Europe/Amsterdam"])


def _matcher(v: str) -> str:
    try:
        found = parse_matchers(v)
    except ValueError as exc:
        raise ValueError(f"{v!r} is not an Alertmanager matcher: {exc}") from None
    if len(found) != 1:
        raise ValueError(f"{v!r}: one matcher per item (label=\"value\", !=, =~ or !~)")
    return v


MatcherText = Annotated[str, AfterValidator(_matcher), Field(
    description="an Alertmanager matcher: label=\"value\", label!=\"value\", label=~\"regex\" or label!~\"regex\" "
                "(regexes match whole values)", examples=['alertname="Watchdog"', 'namespace=~"kube-.*"'])]
ReceiverName = Annotated[str, Field(pattern=r"^\S(.{0,126}\S)?$", description="a receiver's name",
                                    examples=["web-pages", "watchdog", "blackhole"])]


class _Receiver(Spec):
    name: ReceiverName = Field(description="what routes name; not `obsgen-default` nor a `<team>-<severity>` "
                                           "receiver obsgen builds", examples=["web-pages", "watchdog"])

    def integrations(self) -> list[tuple[str, int, Integration]]:
        """(kind, index, settings) of every integration, in the table's order."""
        return [(kind, i, item) for kind in INTEGRATIONS for i, item in enumerate(getattr(self, kind))]


_EXAMPLES = {"slack": [{"channel": "#web-pages", "api_url_file": "/etc/alertmanager/secrets/slack-web"}],
             "pagerduty": [{"routing_key_file": "/etc/alertmanager/secrets/pagerduty-web"}],
             "email": [{"to": "oncall@example.org"}],
             "webhook": [{"url": "https://hc-ping.example.org/watchdog"}]}

ReceiverSpec = create_model(
    "ReceiverSpec", __base__=_Receiver,
    __doc__="A receiver of the spec's own: a name and any number of integrations of each kind; none at all is a "
            "null receiver (alerts routed to it notify no one).",
    **{kind: (list[MODELS[kind]], Field(default_factory=list, description=INTEGRATIONS[kind][4]
                                        + f" (Alertmanager's {INTEGRATIONS[kind][0]}"
                                        + (f"; needs routing.alertmanager_version {INTEGRATIONS[kind][1][0]}."
                                           f"{INTEGRATIONS[kind][1][1]} or later" if INTEGRATIONS[kind][1] > (0, 22)
                                           else "") + ")",
                                        examples=[_EXAMPLES.get(kind) or [example_of(kind)]]))
       for kind in INTEGRATIONS})


class RouteSpec(Timing):
    matchers: list[MatcherText] = Field(default_factory=list, description="what an alert's labels must match, "
                                                                         "all of them; none: every alert",
                                        examples=[['alertname="Watchdog"'], ['namespace=~"kube-.*"',
                                                                              'severity="critical"']])
    receiver: ReceiverName | None = Field(
        None, description="where matching alerts go: a `receivers` name, a receiver obsgen builds "
                          "(`<team>-<severity>`) or obsgen-default; unset: the parent route's",
        examples=["watchdog", "web-critical"])
    continue_: bool = Field(False, alias="continue", description="after this route, go on to the routes after "
                                                                 "it (the alert goes to both)")
    group_by: list[Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]*|\.\.\.)$")]] | None = Field(
        None, description="labels that group alerts into one notification here (`...`: every label); unset: the "
                          "parent's", examples=[["alertname", "namespace"], ["..."]])
    routes: list["RouteSpec"] = Field(default_factory=list, description="routes tried below this one, in order",
                                      examples=[[{"matchers": ['severity="critical"'], "receiver": "web-pages"}]])
    position: Literal["first", "last"] | None = Field(
        None, description="top-level routes: before the routes obsgen builds for teams and categories (first, "
                          "the default), or after them (last: for alerts no team route takes, such as alerts "
                          "without a team label or of a team with no channels)")

    @model_validator(mode="after")
    def _nested_routes_have_no_position(self):
        if any(r.position is not None for r in self.routes):
            raise ValueError("`position` is for top-level routes; nested routes are tried in order")
        return self


class InhibitRuleSpec(Spec):
    source_matchers: list[MatcherText] = Field(default_factory=list, description="the firing alert that mutes "
                                                                               "others; none: any alert",
                                               examples=[['alertname="PostgresDown"']])
    target_matchers: list[MatcherText] = Field(default_factory=list, description="the alerts it mutes; none: "
                                                                               "every alert",
                                               examples=[['alertname="PostgresConnectionsHigh"']])
    equal: list[LabelName] = Field(default_factory=list, description="labels both must have equal (the same "
                                                                     "instance); none: any",
                                   examples=[["instance"]])


class SeverityRouting(Timing):
    channels: list[ChannelName] = Field(
        description="the channels each team is notified through at this severity, among those it has configured; "
                    "a team's own `channels` replaces this for that team", examples=[["pagerduty", "slack"]])


class CategoryRouting(Timing):
    team: Name | None = Field(None, description="also notify this team of every alert in the category, besides "
                                                "the alert's own team", examples=["security"])


class InhibitSpec(Spec):
    source_severity: SeverityName = Field(description="severity of the firing alert that mutes others")
    target_severity: list[SeverityName] = Field(min_length=1, description="severities of the alerts it mutes",
                                                examples=[["warning"], ["warning", "info"]])
    equal: list[LabelName] = Field(
        default_factory=lambda: ["alertname", "service", "instance"],
        description="labels both alerts must have equal for the mute to apply; default alertname, service, "
                    "instance (the same problem on the same target)", examples=[["alertname", "service", "instance"]])


class SmtpSpec(Spec):
    smarthost: Annotated[str, Field(pattern=r"^[^\s:/]+:\d+$")] = Field(
        description="host:port of the mail server Alertmanager sends through", examples=["smtp.gmail.com:587"])
    from_: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(
        alias="from", description="sender address of notification mails", examples=["alerts@waardhaven.com"])
    auth_username: str | None = Field(None, description="user to log in to the mail server as; unset: no login",
                                      examples=["alerts@waardhaven.com"])
    auth_password_file: FilePath | None = Field(
        None, description="file on the Alertmanager host holding the mail server password",
        examples=["/etc/alertmanager/secrets/smtp-password"])
    require_tls: bool = Field(True, description="refuse to send mail unless the server offers STARTTLS")


# What each severity does unless the spec says otherwise. A critical alert pages at once and is
# repeated hourly while it fires (Slack re-posted every few minutes trains people to ignore it;
# PagerDuty keeps one incident open anyway); warnings repeat at routing.repeat_interval
# (Alertmanager's default, 4h); info, once a day.
DEFAULT_SEVERITIES = {
    "critical": {"channels": ["pagerduty", "slack"], "group_wait": "10s", "repeat_interval": "1h"},
    "warning": {"channels": ["slack", "email"]},
    "info": {"channels": ["email"], "repeat_interval": "24h"},
}


DEFAULT_CATEGORIES = ("infrastructure", "application", "business", "security")


def _default_severities() -> dict:
    return {name: SeverityRouting(**fields) for name, fields in DEFAULT_SEVERITIES.items()}


class RoutingSpec(Spec):
    default_team: Name | None = Field(
        None, description="the team whose channels (at warning severity) receive alerts no team route takes, such "
                          "as alerts without a team label; unset: those alerts reach no one",
        examples=["devops"])
    group_by: list[Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]*|\.\.\.)$")]] = Field(
        default_factory=lambda: ["alertname", "service", "severity"],
        description="labels whose values group alerts into one notification (`...`: every label; none: all alerts "
                    "in one group); default alertname, service, severity",
        examples=[["alertname", "service", "severity"]])
    group_wait: Duration = Field("30s", description="how long Alertmanager waits to batch the first notification "
                                                    "of a new group; adds to every alert's time to notify",
                                 examples=["10s", "30s"])
    group_interval: PositiveDuration = Field(
        "5m", description="how long to wait before notifying about alerts added to a group already notified",
        examples=["5m"])
    repeat_interval: PositiveDuration = Field(
        "4h", description="how long to wait before repeating a notification for alerts still firing",
        examples=["1h", "4h"])
    severities: dict[SeverityName, SeverityRouting] = Field(
        default_factory=_default_severities,
        description="per severity: the channels teams are notified through, timing, and time intervals. The "
                    "severities are critical, warning and info, and any other named here, in that order. Default: "
                    "critical to pagerduty and slack (group_wait 10s, repeat_interval 1h), warning to slack and "
                    "email, info to email (repeat_interval 24h). What a severity here sets replaces that field "
                    "of its default, and the rest of the default stays (`channels: []` for none); a default set "
                    "to null is not a severity in this spec",
        examples=[{"critical": {"channels": ["pagerduty", "slack"], "group_wait": "5s", "repeat_interval": "5m"},
                   "warning": {"channels": ["slack", "email"]},
                   "info": {"channels": ["email"], "active_during": ["business-hours"]}}])
    categories: dict[CategoryName, CategoryRouting | None] = Field(
        default_factory=dict, description="per alert category: timing, time intervals, and a team also notified. "
                                          "The categories are infrastructure, application, business and security, "
                                          "and any other named here (`{}` for one with no settings); a default "
                                          "set to null is not a category in this spec",
        examples=[{"security": {"team": "security", "group_wait": "1m", "repeat_interval": "15m"},
                   "database": {"team": "dba"}, "business": None}])
    inhibit: list[InhibitSpec] = Field(
        default_factory=lambda: [InhibitSpec(source_severity="critical", target_severity=["warning"])],
        description="which firing alerts mute which others; default: critical mutes warning for the same "
                    "alertname, service and instance. An SLO's page also mutes its ticket",
        examples=[[{"source_severity": "critical", "target_severity": ["warning"],
                    "equal": ["alertname", "service", "instance"]}]])
    smtp: SmtpSpec | None = Field(
        None, description="the mail server Alertmanager sends through; required when any team is notified by "
                          "email",
        examples=[{"smarthost": "smtp.gmail.com:587", "from": "alerts@waardhaven.com",
                   "auth_username": "alerts@waardhaven.com",
                   "auth_password_file": "/etc/alertmanager/secrets/smtp-password"}])
    time_intervals: dict[IntervalName, list[TimeIntervalSpec]] = Field(
        default_factory=dict, description="named time intervals that severities and categories mute "
                                          "(mute_during) or limit (active_during) notifications with; an interval "
                                          "holds when any of its entries does (needs Alertmanager 0.24)",
        examples=[{"business-hours": [{"weekdays": ["monday:friday"], "times": [{"start": "08:00", "end": "18:00"}],
                                        "location": "America/New_York"}]}])
    receivers: list[ReceiverSpec] = Field(
        default_factory=list, description="receivers of the spec's own, for `routes`: several per team, a dead "
                                          "man's switch, a receiver with no integration (a null receiver, for "
                                          "alerts nobody should be told about)",
        examples=[[{"name": "watchdog", "webhook": [{"url": "https://hc-ping.example.org/watchdog"}]},
                   {"name": "blackhole"}]])
    routes: list[RouteSpec] = Field(
        default_factory=list, description="routes on any matchers, with their receiver, grouping, timing and time "
                                          "intervals, nested to any depth; before the routes obsgen builds "
                                          "(position: first) or after them (position: last)",
        examples=[[{"matchers": ['alertname="Watchdog"'], "receiver": "watchdog", "group_wait": "0s",
                    "repeat_interval": "1m"},
                   {"matchers": ['alertname="InfoInhibitor"'], "receiver": "blackhole"}]])
    inhibit_rules: list[InhibitRuleSpec] = Field(
        default_factory=list, description="inhibit rules on any matchers, besides `inhibit` (by severity)",
        examples=[[{"source_matchers": ['alertname="PostgresDown"'],
                    "target_matchers": ['alertname="PostgresConnectionsHigh"'], "equal": ["instance"]}]])
    alertmanager_version: Annotated[str, Field(pattern=r"^\d+\.\d+$")] = Field(
        "0.25", description="the Alertmanager version (major.minor) the config is written for; settings it does "
                            "not support are refused (OBS080)", examples=["0.25", "0.27"])
    receiver: ReceiverName | None = Field(
        None, description="the receiver (in `receivers`) of the root route: alerts no route takes go there, and "
                          "routes without a receiver of their own inherit it; unset: obsgen-default, which "
                          "notifies default_team", examples=["blackhole", "oncall"])
    global_: GlobalSettings | None = Field(  # type: ignore[valid-type]
        None, alias="global", description="Alertmanager's global settings (resolve_timeout, http_config, the "
                                          "integrations' API URLs and secret files); SMTP goes in routing.smtp",
        examples=[{"resolve_timeout": "5m", "slack_api_url_file": "/etc/alertmanager/secrets/slack-url"}])
    tracing: TracingSettings | None = Field(  # type: ignore[valid-type]
        None, description="Alertmanager's tracing of its own work, sent to an OTLP endpoint (needs "
                          "routing.alertmanager_version 0.30 or later)",
        examples=[{"client_type": "grpc", "endpoint": "otel-collector.monitoring.svc:4317", "insecure": True}])
    templates: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="notification template files Alertmanager reads besides obsgen's own "
                                          "(paths or globs on the Alertmanager host)",
        examples=[["/etc/alertmanager/templates/*.tmpl"]])
    receiver_defaults: Literal["obsgen", "alertmanager"] = Field(
        "obsgen", description="what a receiver in `receivers` gets for the settings it leaves unset: obsgen's "
                              "notification texts and send_resolved (obsgen), or Alertmanager's own defaults "
                              "(alertmanager: what an imported config had)")

    @model_validator(mode="before")
    @classmethod
    def _severities_merge_into_the_defaults(cls, data):
        """A severity the spec gives overrides its default field by field; one it leaves out keeps
        its default (overriding critical's channels must not drop warning's, or critical's timing)."""
        if not isinstance(data, dict) or not isinstance(data.get("severities"), dict):
            return data
        given = data["severities"]
        merged = {name: dict(fields) for name, fields in DEFAULT_SEVERITIES.items()}
        for name, fields in given.items():
            if fields is None:
                merged.pop(name, None)  # this spec has no such severity
                continue
            merged[name] = {**merged.get(name, {}), **fields} if isinstance(fields, dict) else fields
        return {**data, "severities": merged}

    @property
    def severity_names(self) -> tuple[str, ...]:
        """The severities this spec has: the defaults it keeps, then its own, in order."""
        return tuple(self.severities)

    @property
    def category_names(self) -> tuple[str, ...]:
        """The categories this spec has: the defaults it keeps, then its own, in order."""
        kept = tuple(c for c in DEFAULT_CATEGORIES if not (c in self.categories and self.categories[c] is None))
        return kept + tuple(c for c, cfg in self.categories.items() if c not in DEFAULT_CATEGORIES and cfg is not None)

    def category(self, name: str | None) -> CategoryRouting | None:
        """A category's settings, if it has any."""
        return self.categories.get(name) if name else None

    @model_validator(mode="after")
    def _some_severity(self):
        if not self.severities:
            raise ValueError("routing.severities leaves no severity: alerts need at least one")
        return self

    @model_validator(mode="after")
    def _receivers(self):
        names = [r.name for r in self.receivers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"receiver {twice[0]!r} is defined twice")
        return self

    @model_validator(mode="after")
    def _group_by(self):
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by lists a label twice")
        return self


