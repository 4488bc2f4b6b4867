"""Sharding: what can work with the output target, pins, the reserved shard label."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.core import naming
from obsgen.core.diagnostics import error, warning
from obsgen.spec.parse import did_you_mean, key_pos


class ShardingChecks(Context):
    def sharding(self):
        """hashmod gives each shard part of every job: its rules need a ruler with the global view."""
        out = self.sections["output"]
        sh = out.sharding
        if sh.shards == 1:
            return
        if sh.by == "hashmod" and out.target == "files":
            self.diags.append(error(
                "OBS043", f"hashmod sharding gives each of the {sh.shards} Prometheus servers part of every job's "
                          f"targets, so rules evaluated on a shard see part of the data (absent(up), ratios and "
                          f"SLOs go wrong)", self.at("output", "sharding", "by"),
                hint="use `output.target: mimir` (Mimir's ruler evaluates the rules on all shards' samples), or "
                     "`by: team` (each team's jobs and rules on one shard)"))
        if out.target == "operator":
            self.diags.append(warning(
                "OBS044", f"the operator target writes no Prometheus configuration, so it cannot shard it over "
                          f"{sh.shards} servers", self.at("output", "sharding", "shards"),
                hint="set `shards` on your Prometheus resource: the operator splits the targets with hashmod"))
        owning = {s.team for _, s in self.svcs}
        known = {t.name for _, t in self.teams}
        for team, shard in sh.pin.items():
            where = self.at("output", "sharding", "pin", team)
            if sh.by != "team":
                self.diags.append(error("OBS043", "pin places whole teams, which only `by: team` does", where))
                break
            if team not in known:
                self.diags.append(error("OBS021", f"team {team!r} is not defined",
                                        key_pos(self.tree, ("output", "sharding", "pin", team)),
                                        hint=did_you_mean(team, sorted(known))))
            elif team not in owning:
                self.diags.append(warning("OBS044", f"pin: team {team!r} owns no services, so nothing is placed",
                                          where))
            if shard >= sh.shards:
                self.diags.append(error("OBS043", f"pin: shard {shard} does not exist; shards are numbered 0 to "
                                                  f"{sh.shards - 1}", where))
        teams = len(owning)
        if sh.by == "team" and sh.shards > teams:
            self.diags.append(warning(
                "OBS044", f"{sh.shards} shards by team, but only {teams} team(s) own services: the others scrape "
                          "nothing", self.at("output", "sharding", "shards")))
        if naming.SHARD_LABEL in self.sections["global"].external_labels:
            self.diags.append(error("OBS043", f"external label `{naming.SHARD_LABEL}` is obsgen's own on sharded "
                                              "servers", self.at("global", "external_labels", naming.SHARD_LABEL),
                                    hint="rename the label, or set output.sharding.shards to 1"))
