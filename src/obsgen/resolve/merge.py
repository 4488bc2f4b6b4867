"""Merging: the files' trees into one (list sections concatenate, mapping sections may be defined
in one file only), and an environment's overrides onto it (mappings deeply, list items by name)."""
from __future__ import annotations

from dataclasses import dataclass

from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, Pos, describe, error
from obsgen.load.yaml import YMap, YSeq
from obsgen.spec import ENV_KEYS, LIST_SECTIONS, SECTION_KEYS
from obsgen.spec.parse import did_you_mean

DEFAULT_ENV = "default"
# prometheus_client's (and client_golang's) default histogram buckets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


@dataclass
class SpecFile:
    name: str  # stable name used in generated headers (relative to the spec folder)
    display: str  # what diagnostics print
    tree: YMap


def merge_files(files: list[SpecFile]) -> tuple[YMap, dict[str, YMap], list[Diagnostic]]:
    """One tree for all files, and the environments' override blocks by name."""
    diags: list[Diagnostic] = []
    root = YMap(Pos(files[0].display, 1, 1) if files else Pos("<none>"))
    envs: dict[str, YMap] = {}
    env_pos: dict[str, Pos] = {}
    for f in sorted(files, key=lambda f: f.name):
        tree = f.tree
        for key in SECTION_KEYS:
            if key not in tree:
                continue
            value = tree[key]
            if key in LIST_SECTIONS:
                if value is None:
                    continue  # `teams:` with every item commented out
                if not isinstance(value, YSeq):
                    diags.append(error("OBS011", f"{key}: should be a list, not {describe(value)}",
                                       tree.val_pos[key]))
                    continue
                if key not in root:
                    root[key] = YSeq(tree.val_pos[key])
                    root.key_pos[key], root.val_pos[key] = tree.key_pos[key], tree.val_pos[key]
                root[key].extend(value)
                root[key].item_pos.extend(value.item_pos)
            elif key in root:
                first = root.key_pos[key]
                diags.append(error("OBS022", f"section `{key}` is already defined in {first.file} "
                                             f"(line {first.line})", tree.key_pos[key],
                                   hint="keep each of global, tracing and routing in one file"))
            else:
                root[key] = value
                root.key_pos[key], root.val_pos[key] = tree.key_pos[key], tree.val_pos[key]
        env_block = tree.get("environments")
        if isinstance(env_block, YMap):
            for name, body in env_block.items():
                if name in envs:
                    first = env_pos[name]
                    diags.append(error("OBS020", f"environment {name!r} is already defined in {first.file} "
                                                 f"(line {first.line})", env_block.key_pos[name]))
                    continue
                envs[name] = body if isinstance(body, YMap) else YMap(env_block.val_pos[name])
                env_pos[name] = env_block.key_pos[name]
    return root, envs, diags


# Lists of named objects (alerts, recording rules, SLOs, probes, metrics, panels) merge item by
# item, found by the first of these keys their items have; an override item that names no
# existing one is added. Other lists (targets, label names, queries) are replaced whole.
IDENTITY = ("name", "record", "title")
DELETE = "$delete"  # `{name: X, $delete: true}` in an environment removes X


class Merge:
    """What merging an environment's overrides noted: values whose shape changed (the base is
    then checked on its own: an override must not hide a mistake in the base), problems, and the
    objects the environment removed (explain lists them)."""

    def __init__(self, env: str = ""):
        self.env = env
        self.reshaped: list = []
        self.diags: list[Diagnostic] = []
        self.removed: list[str] = []


def _identity(items: YSeq) -> str | None:
    """The key every item of a list of mappings is found by, or None."""
    if not items or not all(isinstance(i, YMap) for i in items):
        return None
    return next((key for key in IDENTITY if all(isinstance(i.get(key), str) for i in items)), None)


def deep_merge(base, over, reshaped: list | None = None, merge: Merge | None = None, where: str = ""):
    """`over` on top of `base`: mappings merge key by key, lists of named objects item by item
    (see IDENTITY), anything else is replaced. Where a mapping replaces something else or the
    other way round, the base's own shape is checked on its own (`reshaped`)."""
    merge = merge or Merge()
    if reshaped is not None:
        merge.reshaped = reshaped
    if isinstance(base, YSeq) and isinstance(over, YSeq):
        key = _identity(base)
        if key is not None and all(isinstance(i, YMap) and isinstance(i.get(key), str) for i in over):
            return _merge_named(base, over, key, merge, where)
    if not (isinstance(base, YMap) and isinstance(over, YMap)):
        if base is not None and over is not None and isinstance(base, YMap) != isinstance(over, YMap):
            merge.reshaped.append(over)
        return over
    out = YMap(base.pos)
    for src in (base, over):
        for key, value in src.items():
            if src is over and key in out:
                out[key] = deep_merge(out[key], value, merge=merge, where=f"{where} {key}" if where else key)
            else:
                out[key] = value
            out.key_pos[key], out.val_pos[key] = src.key_pos[key], src.val_pos[key]
    return out


def _merge_named(base: YSeq, over: YSeq, key: str, merge: Merge, where: str) -> YSeq:
    out = YSeq(base.pos)
    out.extend(base)
    out.item_pos.extend(base.item_pos)
    gone: set[int] = set()
    for item, pos in zip(over, over.item_pos):
        name = item[key]
        found = [i for i, b in enumerate(out) if b.get(key) == name and i not in gone]
        if len(found) > 1 and isinstance(item.get("severity"), str):  # one alert name per severity
            found = [i for i in found if out[i].get("severity") == item["severity"]]
        if len(found) > 1 and isinstance(item.get("labels"), YMap):  # ... or several, told apart by labels
            found = [i for i in found if isinstance(out[i].get("labels"), YMap)
                     and dict(out[i]["labels"]) == dict(item["labels"])]
        if len(found) > 1:
            merge.diags.append(error(
                "OBS033", f"environment {merge.env!r}: {where} has {len(found)} items with {key} {name!r}; the "
                          f"override cannot tell which it changes", item.key_pos[key],
                hint="give its severity too, and its labels where rules of one name and severity differ by them"))
            continue
        patch = YMap(item.pos)
        for k, v in item.items():
            if k != DELETE:
                patch[k] = v
                patch.key_pos[k], patch.val_pos[k] = item.key_pos[k], item.val_pos[k]
        if item.get(DELETE) is True:
            if not found:
                merge.diags.append(error("OBS021", f"environment {merge.env!r} removes {where} {name!r}, which is "
                                                   f"not defined", item.key_pos[key]))
            else:
                gone.add(found[0])
                merge.removed.append(f"{where} {name}")
            continue
        if DELETE in item:
            merge.diags.append(error("OBS011", f"`{DELETE}` takes true (remove the object), not {item[DELETE]!r}",
                                     item.val_pos[DELETE]))
            continue
        if found:
            out[found[0]] = deep_merge(out[found[0]], patch, merge=merge, where=f"{where}[{name}]")
        else:
            out.append(item)
            out.item_pos.append(pos)
    kept = YSeq(out.pos)
    for i, (value, pos) in enumerate(zip(out, out.item_pos)):
        if i not in gone:
            kept.append(value)
            kept.item_pos.append(pos)
    return kept


def apply_environment(root: YMap, name: str, overrides: YMap,
                      reshaped: list | None = None) -> tuple[YMap, list[Diagnostic], list[str]]:
    """The merged tree with environment `name`'s overrides applied; the diagnostics; and what the
    environment removed (`$delete`), in words."""
    diags: list[Diagnostic] = []
    merge = Merge(name)
    if reshaped is not None:
        merge.reshaped = reshaped
    out = YMap(root.pos)
    out.update(root)
    out.key_pos.update(root.key_pos)
    out.val_pos.update(root.val_pos)
    for key, value in overrides.items():
        if key not in ENV_KEYS:
            continue  # reported once by check_file
        if key in LIST_SECTIONS:
            if not isinstance(value, YMap):
                diags.append(error("OBS011", f"environments.{name}.{key}: should be a mapping of "
                                             f"{key[:-1]} name to overrides", overrides.val_pos[key]))
                continue
            base = root.get(key)
            merged = YSeq(base.pos if isinstance(base, YSeq) else overrides.val_pos[key])
            by_name = {}
            if isinstance(base, YSeq):
                for item, pos in zip(base, base.item_pos):
                    merged.append(item)
                    merged.item_pos.append(pos)
                    name_of = item_name(key, item) if isinstance(item, YMap) else None
                    if isinstance(name_of, str):
                        by_name.setdefault(name_of, len(merged) - 1)
            gone: set[int] = set()
            for wanted, patch in value.items():
                if wanted not in by_name:
                    diags.append(error("OBS021", f"environment {name!r} overrides {key[:-1]} {wanted!r}, "
                                                 f"which is not defined", value.key_pos[wanted],
                                       hint=did_you_mean(wanted, list(by_name))))
                    continue
                i = by_name[wanted]
                if isinstance(patch, YMap) and patch.get(DELETE) is True and len(patch) == 1:
                    gone.add(i)
                    merge.removed.append(f"{key[:-1]} {wanted}")
                    continue
                renamed = _renames(key, merged[i], patch)
                if renamed:
                    diags.append(error("OBS033", f"environment {name!r} cannot change the {renamed} of {key[:-1]} "
                                                 f"{wanted!r}: overrides find their object by it",
                                       patch.key_pos[renamed],
                                       hint=f"define another {key[:-1]} instead"))
                    continue
                merged[i] = deep_merge(merged[i], patch, merge=merge, where=f"{key[:-1]} {wanted}")
            if gone:
                kept = YSeq(merged.pos)
                for i, (item, pos) in enumerate(zip(merged, merged.item_pos)):
                    if i not in gone:
                        kept.append(item)
                        kept.item_pos.append(pos)
                merged = kept
            out[key] = merged
            out.key_pos[key] = root.key_pos.get(key, overrides.key_pos[key])
            out.val_pos[key] = merged.pos
        else:
            out[key] = deep_merge(root.get(key), value, merge=merge, where=key)
            out.key_pos[key], out.val_pos[key] = overrides.key_pos[key], overrides.val_pos[key]
    return out, diags + merge.diags, merge.removed


def _renames(section: str, base, patch) -> str | None:
    """The identifying key an environment's patch would change, if any."""
    if not isinstance(patch, YMap) or not isinstance(base, YMap):
        return None
    keys = ("uid", "title") if section == "dashboards" else ("name",)
    for key in keys:
        if key == "title" and base.get("uid") is not None:
            continue  # a dashboard with a uid may retitle itself per environment
        if key in patch and patch[key] != base.get(key):
            return key
    return None


def item_name(section: str, item: YMap) -> str | None:
    """The name an item of a list section is found by (a dashboard: its uid, else its title's slug)."""
    if section == "dashboards":
        uid, title = item.get("uid"), item.get("title")
        return as_str(uid) or (naming.slug(title) if isinstance(title, str) and uid is None else None)
    return as_str(item.get("name"))


def as_str(value) -> str | None:
    return value if isinstance(value, str) else None
