"""The floor obsgen is compared with: what Python alone takes to read the spec and write the output.

    python benchmarks/floor.py load LOADER SPEC_DIR   # a whole process: import the library, load the spec
    python benchmarks/floor.py dump OUT_DIR           # prints JSON: seconds to serialise a built tree

`load` is timed from outside, as a whole process like obsgen itself (LOADER: ruamel-safe-c, ruamel-rt,
pyyaml-c). `dump` reads a tree obsgen built (not timed), then times, in process, turning the same
data back into text with each serialiser and writing it to a scratch folder; YAML files are dumped
with each YAML serialiser, JSON and other files the same way every time (json.dumps, plain text).
The serialisers: ruamel's round-trip emitter with obsgen's settings (ruamel-rt), ruamel driving
libyaml as it comes (ruamel-safe-c), obsgen's own serialiser (obsgen-output: ruamel driving libyaml
with one shared tag object per tag, faster than ruamel as it comes), and PyYAML's C dumper.
"""
from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from pathlib import Path

YAML_SUFFIXES = (".yml", ".yaml")


def spec_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES)


def load(loader: str, folder: Path) -> None:
    if loader == "pyyaml-c":
        import yaml

        for p in spec_files(folder):
            yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        return
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=False) if loader == "ruamel-safe-c" else YAML(typ="rt")
    for p in spec_files(folder):
        y.load(p.read_text(encoding="utf-8"))


def _ruamel_rt():
    # obsgen's own settings (obsgen.core.serialise): block style, wide lines, indented sequences.
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.default_flow_style = False
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _dumper(name: str):
    if name == "obsgen-output":
        from obsgen.core.serialise import to_yaml_documents

        return to_yaml_documents
    if name == "pyyaml-c":
        import yaml

        return lambda docs: yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False, width=4096,
                                          default_flow_style=False, allow_unicode=True)
    from ruamel.yaml import YAML

    y = _ruamel_rt() if name == "ruamel-rt" else YAML(typ="safe", pure=False)
    if name != "ruamel-rt":
        y.default_flow_style = False
        y.width = 4096

    def dump(docs):
        buf = io.StringIO()
        y.dump_all(docs, buf)
        return buf.getvalue()
    return dump


def read_tree(root: Path) -> list[tuple[str, str, object]]:
    """(path, kind, data) of every built file: yaml documents, json data, or the text itself."""
    import yaml

    out = []
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name == ".obsgen-manifest.json":
            continue
        text = p.read_text(encoding="utf-8")
        rel = p.relative_to(root).as_posix()
        if p.suffix in YAML_SUFFIXES:
            out.append((rel, "yaml", list(yaml.load_all(text, Loader=yaml.CSafeLoader))))
        elif p.suffix == ".json":
            out.append((rel, "json", json.loads(text)))
        else:
            out.append((rel, "text", text))
    return out


def dump(root: Path) -> dict[str, float]:
    tree = read_tree(root)
    results = {}
    for name in ("ruamel-rt", "ruamel-safe-c", "obsgen-output", "pyyaml-c"):
        to_text = _dumper(name)
        with tempfile.TemporaryDirectory(prefix="obsgen-floor-") as tmp:
            start = time.perf_counter()
            for rel, kind, data in tree:
                text = (to_text(data) if kind == "yaml" else
                        json.dumps(data, indent=2, ensure_ascii=False) + "\n" if kind == "json" else data)
                target = Path(tmp) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")  # type: ignore[arg-type]
            results[name] = time.perf_counter() - start
    results["files"] = len(tree)
    return results


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], Path(sys.argv[3]))
    else:
        print(json.dumps(dump(Path(sys.argv[2]))))
