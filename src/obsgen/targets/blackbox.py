"""blackbox/blackbox.yml: the blackbox exporter's configuration, one module per synthetic probe.

Written for blackbox exporter 0.23 (Debian's), whose loader refuses unknown keys. Prometheus asks
for a probe with `module=<service>_<probe>` (naming.probe_module) and the target in the URL; the
scrape jobs are written by the prometheus target.
"""
from __future__ import annotations

from obsgen.core import naming
from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve import probes
from obsgen.resolve.model import Model
from obsgen.spec import GlobalSpec, ProbeSpec

PATH = "blackbox/blackbox.yml"

# The exporter prefers IPv6 by default. Most networks probes run in are IPv4 first, and a host
# with an AAAA record it cannot reach over IPv6 would fail its probe; prefer IPv4, fall back to
# IPv6 for IPv6-only hosts.
_IP = {"preferred_ip_protocol": "ip4", "ip_protocol_fallback": True}


class BlackboxTarget:
    name = "blackbox"

    def generate(self, model: Model) -> list[Artifact]:
        g = model.spec.global_
        modules = {naming.probe_module(s.name, p.name): module(p, g) for s in model.services for p in s.probes}
        if not modules:
            return []
        return [Artifact(PATH, to_yaml({"modules": dict(sorted(modules.items()))}, model.header()))]


def module(probe: ProbeSpec, g: GlobalSpec) -> dict:
    # The module's timeout is the job's scrape timeout. Under Prometheus the exporter also caps a
    # probe at the scrape's X-Prometheus-Scrape-Timeout-Seconds minus --timeout-offset (0.5s by
    # default), so a slow target ends as probe_success 0 before Prometheus gives up on the scrape
    # (which would leave no probe_success at all, and no alert); by hand (curl) the timeout holds.
    out: dict = {"prober": probe.kind, "timeout": probes.timeout(probe, g)}
    if probe.http:
        h = probe.http
        http: dict = {"method": h.method}
        if h.valid_status_codes:  # otherwise the exporter's default: any 2xx
            http["valid_status_codes"] = sorted(set(h.valid_status_codes))
        if probes.uses_tls(probe):
            # Checked on the final answer, after redirects (followed by default): a redirect from
            # https to http fails the probe.
            http["fail_if_not_ssl"] = True
        if h.body_matches:
            http["fail_if_body_not_matches_regexp"] = list(h.body_matches)
        if h.body_not_matches:
            http["fail_if_body_matches_regexp"] = list(h.body_not_matches)
        out["http"] = http | _IP
    elif probe.tcp:
        tcp: dict = dict(_IP)
        if probe.tcp.tls:
            # The certificate is verified against the host probed (and its expiry exported).
            tcp["tls"] = True
            tcp["tls_config"] = {"insecure_skip_verify": False, "server_name": probe.tcp.address.rsplit(":", 1)[0]}
        out["tcp"] = tcp
    elif probe.icmp:
        out["icmp"] = dict(_IP)
    else:
        d = probe.dns
        assert d is not None
        out["dns"] = {
            "query_name": d.query_name, "query_type": d.query_type, "transport_protocol": d.transport,
            "valid_rcodes": ["NOERROR"],
            # NOERROR with an empty answer (the name exists, the record type does not) is a
            # failure too: the answer must hold a record of the type asked for.
            "validate_answer_rrs": {"fail_if_none_matches_regexp": [f"\\tIN\\t{d.query_type}\\t"]},
        } | _IP
    return out
