"""The operator target: credentials as Secret keys, time intervals without zones."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.core import naming
from obsgen.core.diagnostics import error


class OperatorChecks(Context):
    def operator(self):
        """The operator target refers to credentials as Secret keys: a file path must read
        <dir>/<secret>/<key>. AlertmanagerConfig has no time zones."""
        out = self.sections["output"]
        if out.target != "operator":
            return

        def secret_path(path: str | None, *loc):
            if path and naming.secret_ref(path) is None:
                self.diags.append(error(
                    "OBS045", f"{'.'.join(map(str, loc[-2:]))} {path!r} names no Secret key: with the operator "
                              "target a credential file is <dir>/<secret>/<key>, as the operator mounts Secrets",
                    self.at(*loc), hint="e.g. /etc/prometheus/secrets/<secret>/<key>"))

        for i, s in self.svcs:
            sc = s.scrape
            if sc and not (sc.kubernetes and sc.kubernetes.preset):
                secret_path(sc.ca_file, "services", i, "scrape", "ca_file")
                secret_path(sc.bearer_token_file, "services", i, "scrape", "bearer_token_file")
        if out.operator.alertmanager != "alertmanager_config":
            return
        for i, t in self.teams:
            for channel, fields in (("slack", ("api_url_file",)), ("pagerduty", ("routing_key_file",)),
                                    ("webhook", ("url_file", "credentials_file")), ("sms", ("credentials_file",))):
                block = getattr(t, channel)
                for field in fields:
                    secret_path(getattr(block, field, None) if block else None, "teams", i, channel, field)
        r = self.sections["routing"]
        for key in ("routes", "receivers", "inhibit_rules"):
            if getattr(r, key):
                self.diags.append(error(
                    "OBS045", f"routing.{key}: AlertmanagerConfig resources are per team (each routes only its "
                              "team's alerts), so routes, receivers and inhibit rules of the spec's own cannot be "
                              "written as them", self.at("routing", key),
                    hint="use output.operator.alertmanager: secret (the whole config as a Secret)"))
        if r.smtp:
            secret_path(r.smtp.auth_password_file, "routing", "smtp", "auth_password_file")
        for name, entries in r.time_intervals.items():
            for j, entry in enumerate(entries):
                if entry.location:
                    self.diags.append(error(
                        "OBS045", f"time interval {name!r} has a location ({entry.location}), which "
                                  "AlertmanagerConfig resources cannot hold: it would silently become UTC",
                        self.at("routing", "time_intervals", name, j, "location"),
                        hint="use output.operator.alertmanager: secret (the whole config as a Secret), or "
                             "write the times in UTC"))
