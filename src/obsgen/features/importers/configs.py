"""What the importers of a tool's own configuration (Alertmanager, Prometheus) share: reading it
field by field with positions, scalars as the Go program reads them, unknown keys refused with a
suggestion, literal secrets moved to files (OBS081, never the value), AWS keys moved to a profile,
and the oldest version of the tool that has every setting used."""
from __future__ import annotations

import re
from typing import Any

from obsgen.core.diagnostics import Pos, describe, warning
from obsgen.features.importers.common import Ctx, as_written
from obsgen.load.yaml import YMap, YSeq
from obsgen.spec.integrations import NESTED_SECRETS, plain
from obsgen.spec.parse import did_you_mean

SECRET_FILE = "OBS081"  # a literal secret, imported as a file reference (a warning)

Version = tuple[int, int]


def val_pos(m: YMap, key: str) -> Pos:
    return m.val_pos.get(key, m.pos) if isinstance(m, YMap) else Pos("<input>")


def key_pos(m: YMap, key: str) -> Pos:
    return m.key_pos.get(key, m.pos) if isinstance(m, YMap) else Pos("<input>")


def slug(text: str, default: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-") or default


class ConfigReader:
    """One input configuration of `tool`, converted with its diagnostics and notes in `ctx`."""

    tool = ""  # "Alertmanager", "Prometheus": for messages
    host = ""  # where the secret files go: "Alertmanager host"
    secrets_dir = ""
    versions = ""  # the versions the tables know, for messages: "0.22 to 0.34"

    def __init__(self, tree: YMap, ctx: Ctx, texts: dict[str, list[str]], oldest: Version):
        self.tree, self.ctx, self.texts = tree, ctx, texts
        self.oldest = self.needed = oldest
        self.why = ""
        self.secret_files: list[tuple[str, str]] = []
        self.taken: set[str] = set()

    # -- reading

    def text(self, value: Any, pos: Pos) -> str:
        """A scalar as the tool reads it into a text setting (see common.as_written)."""
        return as_written(value, pos, self.texts.get(pos.file))

    def unknown(self, m: YMap, allowed, where: str) -> None:
        for key in m:
            if key not in allowed:
                self.ctx.invalid(f"{where}{key}: not a setting {self.tool} ({self.versions}) has here",
                                 key_pos(m, key), hint=did_you_mean(str(key), list(allowed)) or None)

    def mapping(self, value: Any, pos: Pos, where: str) -> YMap | None:
        if value is None:
            return None
        if not isinstance(value, YMap):
            self.ctx.invalid(f"{where}: should be a mapping, not {describe(value)}", pos)
            return None
        return value

    def items(self, m: YMap, key: str, where: str) -> list[tuple[int, YMap]]:
        """The mappings of the list at `key` (with their index); anything else is reported."""
        value = m.get(key)
        if value is None:
            return []
        if not isinstance(value, YSeq):
            self.ctx.invalid(f"{where}{key}: should be a list, not {describe(value)}", val_pos(m, key))
            return []
        out = []
        for i, (item, pos) in enumerate(zip(value, value.item_pos)):
            if isinstance(item, YMap):
                out.append((i, item))
            else:
                self.ctx.invalid(f"{where}{key}[{i}]: should be a mapping, not {describe(item)}", pos)
        return out

    # -- versions

    def need(self, version: Version | None, why: str = "") -> None:
        if version and version > self.needed:
            self.needed, self.why = version, why

    def version_note(self, setting: str) -> str:
        text = f"{self.needed[0]}.{self.needed[1]}"
        if self.needed > self.oldest:
            self.ctx.note(f"{setting} is {text}: the oldest {self.tool} with every setting used ({self.why} needs it)")
        return text

    # -- secrets

    def secret(self, field: str, file_setting: str, owner: str, pos: Pos) -> str:
        """A literal secret at `field` becomes a file: its path, reported (never the value)."""
        name = file_setting.removesuffix("_file").replace("_", "-").replace(".", "-")
        path = f"{self.secrets_dir}/{owner}-{name}"
        base, n = path, 2
        while path in self.taken:
            path, n = f"{base}-{n}", n + 1
        self.taken.add(path)
        self.secret_files.append((path, field))
        self.ctx.diags.append(warning(SECRET_FILE, f"{field} is a literal secret: imported as {file_setting}: "
                                                   f"{path}; put the value in that file on the {self.host}", pos))
        return path

    def literal(self, m: YMap, key: str, file_setting: str | None, where: str, owner: str,
                since: Version | None, out: dict) -> None:
        """The literal secret `m[key]` into `out` as `file_setting` (None: the tool has none: refused)."""
        pos = val_pos(m, key)
        if m.get(key) in (None, ""):
            return
        if file_setting is None:
            self.ctx.cannot(f"{where}{key}: a literal secret with no file setting in {self.tool}", pos,
                            hint=f"use a credential {self.tool} reads from a file or from its environment")
            return
        if file_setting in m:
            self.ctx.invalid(f"{where}{key}: given with {file_setting}; {self.tool} refuses both", pos)
            return
        self.need(since, f"{file_setting}, where the secret {where}{key} now is")
        if file_setting == "authorization.credentials_file":
            out["authorization"] = {"credentials_file": self.secret(f"{where}{key}", "credentials_file", owner, pos)}
        else:
            out[file_setting] = self.secret(f"{where}{key}", file_setting, owner, pos)

    def nested(self, value: Any, where: str, owner: str, pos: Pos) -> Any:
        """A mapping (http_config, tls_config, basic_auth, oauth2, sigv4...) as plain data, with
        its literal secrets turned into files, and AWS keys into a profile."""
        if isinstance(value, YSeq):
            return [self.nested(v, f"{where}[{i}]", owner, pos) for i, v in enumerate(value)]
        if not isinstance(value, YMap):
            return plain(value)
        out: dict = {}
        if where.endswith("sigv4") and value.get("secret_key") not in (None, ""):
            # AWS keys have no file setting; the AWS SDK reads them from its shared credentials
            # file by profile: the keys move there, as other secrets move to files.
            profile = value.get("profile") or f"{self.tool.lower()}-{owner}"
            self.secret_files.append((f"AWS shared credentials file, profile [{profile}]",
                                      f"{where}.access_key and secret_key"))
            self.ctx.diags.append(warning(
                SECRET_FILE, f"{where}.access_key and secret_key are literal secrets: imported as sigv4.profile: "
                             f"{profile}; put them in the AWS shared credentials file of the {self.host} "
                             f"(~/.aws/credentials, or AWS_SHARED_CREDENTIALS_FILE) under [{profile}]",
                val_pos(value, "secret_key")))
            out["profile"] = str(profile)
        for k, v in value.items():
            here = f"{where}.{k}"
            if "profile" in out and k in ("access_key", "secret_key", "profile"):
                continue
            if k in NESTED_SECRETS and v not in (None, "") and (k != "key" or where.endswith("tls_config")):
                use = NESTED_SECRETS[k]
                if use is None:
                    self.ctx.cannot(f"{here}: a literal secret with no file setting in {self.tool}",
                                    val_pos(value, k), hint="use the AWS credential chain (an instance role, the "
                                                            "environment, sigv4.profile or sigv4.role_arn)")
                elif k == "bearer_token":
                    out["authorization"] = {"credentials_file": self.secret(here, "credentials_file", owner,
                                                                             val_pos(value, k))}
                else:
                    out[use] = self.secret(here, use, owner, val_pos(value, k))
                continue
            out[str(k)] = self.nested(v, here, owner, val_pos(value, k))
        return out

    def header_secrets(self) -> list[str]:
        if not self.secret_files:
            return []
        return ["", f"Secret files to create on the {self.host} (the values were not imported):"] + [
            f"- {path}  ({field})" for path, field in self.secret_files]
