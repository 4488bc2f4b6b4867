"""The log pipeline: what Fluent Bit can do as declared."""
from __future__ import annotations

import re

from obsgen.check.context import Context
from obsgen.core.diagnostics import error


class LoggingChecks(Context):
    def logging(self):
        lg = self.sections.get("logging")
        if lg is None:
            return
        # Fluent Bit names its counter namespace_subsystem_name and never leaves the subsystem empty.
        if not re.fullmatch(r"[^_]+_[^_]+_.+", lg.error_metric):
            self.diags.append(error("OBS039", f"logging.error_metric {lg.error_metric!r}: Fluent Bit can only "
                                              "name a counter namespace_subsystem_name",
                                    self.at("logging", "error_metric"),
                                    hint="use three or more `_`-separated parts, like log_errors_total"))
        es = lg.elasticsearch
        if es.username and not es.password_env:
            self.diags.append(error("OBS039", "logging.elasticsearch.username without password_env: Fluent Bit "
                                              "would log in with an empty password",
                                    self.at("logging", "elasticsearch", "username"),
                                    hint="set password_env to the variable holding the password, or drop username"))
