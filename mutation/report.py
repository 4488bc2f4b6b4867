"""Write mutation/REPORT.md from the last `nox -s mutants` runs.

mutmut's results per group of modules sit in mutants-work/<group>/ (see mutation/run.py), which
git ignores. This records each module's counts and survivors in mutation/results.json, which is
committed: a run of one group replaces that group's modules and keeps the others'. Each record
carries the digest of the code and tests it was made from; a record whose code or tests have
changed since is reported as stale, never as current.

Per module: how many mutants were made, how many the tests killed, the score, and every
surviving mutant with its diff; a survivor judged equivalent (no test could tell it apart,
because the program behaves the same) says why, from EQUIVALENT below.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants-work"
REPORT = ROOT / "mutation" / "REPORT.md"
RESULTS = ROOT / "mutation" / "results.json"
TARGET = 90.0  # percent killed, per module (issue 23)

# Mutants that behave exactly like the original, and why (each was read and argued, not assumed).
EQUIVALENT: dict[str, str] = {
    'obsgen.load.yaml.x__looks_deep__mutmut_9':
        "Only brackets are left after the substitution: 'XX[{XX' holds the same [ and {.",
    'obsgen.load.yaml.x__looks_deep__mutmut_24':
        'MAX_DEPTH / 2 is 100.0, as MAX_DEPTH // 2 is 100: the comparison is the same.',
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_2':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_3':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_4':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_5':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_6':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_7':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_8':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_9':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_10':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_11':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.xǁ_Builderǁ_build__mutmut_12':
        "ruamel's Node.tag is a property that always returns a str: the branch for other tags is never taken.",
    'obsgen.load.yaml.x__scalar__mutmut_4':
        "Values with tags outside the core schema are refused before _scalar; only a key's tag reaches it, and keys are made strings.",
    'obsgen.load.yaml.x__scalar__mutmut_29':
        'int(s) and int(s, 10) are the same for a str.',
    'obsgen.load.yaml.x__scalar__mutmut_43':
        "The text is already lower-cased: stripping 'XX+XX' strips only '+', as '+' does.",
    'obsgen.load.yaml.xǁ_Builderǁbuild__mutmut_16':
        'A fresh node never sits inside a node reached again through an alias, so the count of aliased nodes is the same.',
    'obsgen.load.yaml.xǁ_Builderǁbuild__mutmut_26':
        "Each document's root is built fresh first, so the in-place list is never empty when the budget runs out.",
    'obsgen.load.yaml.xǁ_Builderǁmapping__mutmut_27':
        'For a str key the fallback str(key) is the same string.',
    'obsgen.load.yaml.x__check_depth__mutmut_5':
        'pure=None or left out: ruamel uses libyaml either way.',
    'obsgen.load.yaml.x__check_depth__mutmut_7':
        'As _check_depth__mutmut_5.',
    'obsgen.load.yaml.x__compose__mutmut_12':
        'pure=None: libyaml as before.',
    'obsgen.load.yaml.x__compose__mutmut_7':
        "When libyaml's depth check fails, its composer fails at the same event and the code falls back to the pure parser anyway.",
    'obsgen.load.yaml.x__compose__mutmut_8':
        'As _compose__mutmut_7.',
    'obsgen.load.yaml.xǁ_Resolverǁresolve__mutmut_3':
        'Skipping the cached table costs only speed: it is rebuilt the same.',
    'obsgen.load.yaml.x__compose_pure__mutmut_4':
        'Ignoring every warning instead of ReusedAnchorWarning alone: the composer raises no other.',
    'obsgen.load.yaml.x_load_file__mutmut_75':
        'A None start is the same as 0 for count and rfind.',
    'obsgen.load.yaml.x_load_file__mutmut_66':
        "Codec names are case-insensitive ('UTF-8-SIG').",
    'obsgen.load.yaml.x_read_yaml__mutmut_16':
        'The loader returns no diagnostic that is not an error, so `errors and diags` gives diags[0] as before.',
    'obsgen.resolve.merge.x__merge_named__mutmut_56':
        "The patch's position is never read: deep_merge puts the result at the base item's position.",
    'obsgen.resolve.merge.x__renames__mutmut_24':
        "`break` for the loop's last `continue`: title is the last key checked, so stopping there skips nothing.",
    'obsgen.core.regex.x__go_only__mutmut_36':
        '`end <= 0` for `end < 0`: the search for \\\\E starts at i + 2 >= 2, so it never returns 0.',
    'obsgen.core.regex.x__go_only__mutmut_37':
        'As _go_only__mutmut_36: `end < 1` cannot differ either.',
    'obsgen.core.regex.x_re2_problem__mutmut_2':
        'log_errors None for False: google-re2 reads it as false, and nothing is logged either way (a test reads stderr).',
    'obsgen.core.regex.x_re2_problem__mutmut_9':
        'google-re2 raises re2.error with its message as bytes, so the decoding branch is always taken.',
    'obsgen.core.regex.x_re2_problem__mutmut_11':
        'As re2_problem__mutmut_9.',
    'obsgen.core.regex.x_re2_problem__mutmut_12':
        'As re2_problem__mutmut_9: the str() branch is never reached.',
    'obsgen.core.credentials.x__is_literal__mutmut_6':
        'Adds X to the characters a literal may not start with; the scanner reads the lower-cased text, so a captured value never holds an X.',
    'obsgen.core.credentials.x_redact__mutmut_11':
        '`h.end >= at` for `h.end > at`: when the ends are equal, `at = h.end` leaves `at` as it was.',
    'obsgen.core.regex.x__member__mutmut_37':
        '`refused = None` for `refused = False`: the flag is only set to True and read as `not refused`.',
    'obsgen.write.tree.x_safe_relpath__mutmut_11':
        'A path starting with / has an empty first part, which the next check refuses anyway.',
    'obsgen.write.tree.x_read_inside__mutmut_26':
        "Changes the default of getattr(os, 'O_NOFOLLOW'/'O_NONBLOCK', 0); both flags exist on every POSIX system obsgen runs on.",
    'obsgen.write.tree.x_read_inside__mutmut_29':
        'As read_inside__mutmut_26: a getattr default for a flag os always has.',
    'obsgen.write.tree.x_read_inside__mutmut_32':
        'As read_inside__mutmut_26.',
    'obsgen.write.tree.x_read_inside__mutmut_35':
        'As read_inside__mutmut_26.',
    'obsgen.write.tree.x_read_inside__mutmut_38':
        'As read_inside__mutmut_26.',
    'obsgen.write.tree.x_read_inside__mutmut_41':
        'As read_inside__mutmut_26.',
    'obsgen.write.tree.x_read_inside__mutmut_63':
        'Reads more than limit+1 bytes (or all): the result and the refusal of a file over the limit are the same.',
    'obsgen.write.tree.x_read_inside__mutmut_64':
        'As read_inside__mutmut_63.',
    'obsgen.write.tree.x_read_inside__mutmut_67':
        'As read_inside__mutmut_63.',
    'obsgen.write.tree.x_read_manifest__mutmut_13':
        "'UTF-8' for 'utf-8': the same codec.",
    'obsgen.write.tree.x__write_file__mutmut_24':
        'A getattr default for O_NOFOLLOW, which os always has (see read_inside__mutmut_26).',
    'obsgen.write.tree.x__write_file__mutmut_27':
        'As _write_file__mutmut_24.',
    'obsgen.write.tree.x__write_file__mutmut_30':
        'As _write_file__mutmut_24.',
    'obsgen.write.tree.x__write_file__mutmut_43':
        "'UTF-8' for 'utf-8': the same codec.",
    'obsgen.write.tree.x_check_output_folder__mutmut_15':
        'When the output is not inside the working folder, none of its parents is either: the list of steps is empty both ways.',
    'obsgen.write.tree.x_check_output_folder__mutmut_39':
        'For a folder that does not exist yet, a .git found from it is strictly above it, so never inside it.',
    'obsgen.write.tree.x__exchange__mutmut_2':
        "Another way to load the C library (CDLL(None) or libc.so.6): both find glibc's renameat2; at worst the fallback renames give the same tree.",
    'obsgen.write.tree.x__exchange__mutmut_6':
        'As _exchange__mutmut_2.',
    'obsgen.write.tree.x__exchange__mutmut_3':
        'use_errno is never read: the result of renameat2 alone decides.',
    'obsgen.write.tree.x__exchange__mutmut_5':
        'As _exchange__mutmut_3.',
    'obsgen.write.tree.x__exchange__mutmut_12':
        'As _exchange__mutmut_3.',
    'obsgen.write.tree.x__exchange__mutmut_15':
        'Without argtypes ctypes passes these int and bytes arguments the same way on this ABI.',
    'obsgen.write.tree.x__stage__mutmut_15':
        'missing_ok on a file just read as a regular file in the output, hence copied into the staging folder: it is always there.',
    'obsgen.write.tree.x__stage__mutmut_17':
        'As _stage__mutmut_15.',
    'obsgen.write.tree.x__prune_empty_dirs__mutmut_3':
        "str() of a Path is never empty (an empty path prints as '.').",
    'obsgen.write.tree.x__write_locked__mutmut_53':
        "ignore_errors on removing the staging folder whose rename just failed: it exists and is obsgen's own, so removing it does not fail.",
    'obsgen.write.tree.x__write_locked__mutmut_55':
        'As _write_locked__mutmut_53.',
    'obsgen.write.tree.x__write_locked__mutmut_56':
        'As _write_locked__mutmut_53.',
    'obsgen.core.routes.x_parse_matcher__mutmut_15':
        '`escaped = None` for `False` at the start: it is only tested for truth, and None is false.',
    'obsgen.core.routes.x_parse_matcher__mutmut_22':
        '`escaped = None` for `False` after an escape: it is only tested for truth.',
    'obsgen.core.routes.x_parse_matcher__mutmut_51':
        '`quoted = None` for `False` at the closing quote: it is only tested for truth.',
    'obsgen.check.lint.routing.x_obs060__mutmut_92':
        "A receiver that notifies and has no owner is one of the spec's own, and alerts that reach one of those are left out of OBS060 before this line.",
    'obsgen.check.lint.routing.x_obs062__mutmut_18':
        'Every name in naming.CHANNELS is a field of TeamSpec: getattr never needs its default.',
    'obsgen.check.lint.exprs.x__rated__mutmut_2':
        'The parser refuses rate() over an instant selector: a selector reaching here always has a range.',
    'obsgen.check.lint.exprs.x__keep_le__mutmut_14':
        'The culprits written here (`sum by (a)`, `x on (b)`) hold one `(`: index and rindex find the same.',
    'obsgen.check.lint.exprs.x__keep_le__mutmut_20':
        'As _keep_le__mutmut_14.',
    'obsgen.check.lint.exprs.xǁAnalysisǁceiling__mutmut_24':
        'The parser refuses histogram_quantile() with fewer than two arguments.',
    'obsgen.check.lint.exprs.xǁAnalysisǁceiling__mutmut_31':
        'top_bucket.get(None) is None, the same as the else branch.',
    'obsgen.check.lint.exprs.xǁAnalysisǁcounters__mutmut_81':
        'Every function in COUNTER_PASS takes at least one argument (the parser enforces it): flows is never empty.',
    'obsgen.check.lint.exprs.xǁAnalysisǁsources__mutmut_13':
        'vector() takes a scalar: it has no vector argument, so the result is [] either way.',
    'obsgen.check.lint.exprs.xǁAnalysisǁsources__mutmut_14':
        'As sources__mutmut_13.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_10':
        "'XXXX' does not end in _bucket either.",
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_27':
        'The parser requires five arguments for label_replace and at least three for label_join.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_28':
        'As le__mutmut_27.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_71':
        'and/unless are many-to-many: without this branch they reach the last line, which also returns le(n.lhs); a scalar side cannot carry on/ignoring.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_73':
        'As le__mutmut_71.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_74':
        'As le__mutmut_71.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_75':
        'As le__mutmut_71.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_76':
        'As le__mutmut_71.',
    'obsgen.check.lint.exprs.xǁAnalysisǁle__mutmut_77':
        'A scalar right-hand side cannot carry on/ignoring (the parser refuses it), so the last line also gives le(n.lhs).',
    'obsgen.check.lint.exprs.x_expressions__mutmut_62':
        "texts starts empty and only one SLI kind's branch runs: += and = give the same list.",
    'obsgen.check.lint.exprs.x_expressions__mutmut_86':
        'As expressions__mutmut_62.',
    'obsgen.check.lint.exprs.x_expressions__mutmut_129':
        'The datasources are only read inside the loop over dashboards, which does not run without dashboards.',
    'obsgen.check.lint.exprs.x_expressions__mutmut_137':
        "A top-level panel taken as its own row gives the same datasource: the panel's own comes first.",
    'obsgen.check.lint.catalog.x__opens__mutmut_7':
        "The default action is only compared with 'labelmap': any other default behaves the same.",
    'obsgen.check.lint.catalog.x__opens__mutmut_8':
        'As _opens__mutmut_7.',
    'obsgen.check.lint.catalog.xǁCatalogǁ__init____mutmut_365':
        "A preset is one of PRESET_PREFIXES' keys (the spec's schema allows only those): the default is never used.",
    'obsgen.check.lint.catalog.xǁCatalogǁ__init____mutmut_367':
        'As Catalog.__init____mutmut_365.',
    'obsgen.check.lint.catalog.xǁCatalogǁ_exporter__mutmut_19':
        "Neither '' nor 'XXXX' is a key of the map: .get returns None either way.",
    'obsgen.check.lint.catalog.xǁCatalogǁlabels__mutmut_15':
        'Labels.of(None) matches no branch and returns None, as the original does.',
    'obsgen.check.lint.catalog.xǁLabelsǁ_of__mutmut_97':
        'A binary operation with a scalar side cannot carry on/ignoring/group (the parser refuses it), so the code ends at the same `return lhs`.',
    'obsgen.resolve.slo.x_fmt_number__mutmut_11':
        "A number printed with .15f holds no X: rstrip('XX0XX') strips the same zeros.",
    'obsgen.resolve.slo.x_fmt_number__mutmut_12':
        'As fmt_number__mutmut_11, for the dot.',
    'obsgen.resolve.slo.x_alert_rules__mutmut_68':
        'spent is 0.5 or 0.9 (BUDGET_ALERTS): int(50.5) and int(90.9) are 50 and 90 as before.',
    'obsgen.resolve.slo.x_dashboard_uid__mutmut_4':
        'Service names are lower-case letters, digits and dashes (the schema): a uid never ends in X.',
    'obsgen.resolve.slo.x_dashboard__mutmut_14':
        "type='timeseries' is PanelSpec.type's default.",
    'obsgen.resolve.slo.x_dashboard__mutmut_124':
        'As dashboard__mutmut_14.',
    'obsgen.load.yaml.x__compose_checked__mutmut_80':
        "The refused character came from the text, so find() never returns -1: the fallback to the reader's position is never taken.",
    'obsgen.load.yaml.x__compose_checked__mutmut_82':
        "At offset 0 the reader's position is 0 too (bytes and characters agree there): taking it gives the same place.",
    'obsgen.load.yaml.x__compose_checked__mutmut_83':
        'As _compose_checked__mutmut_82.',
}

# mutmut's exit codes per mutant: 0 the tests passed (survived); 1 they failed (killed); 36 timed
# out (killed: the mutant hangs); 33 no test covers the function (survived); None not run.
KILLED = {1, 3, 36, -11, -9, -24}  # -24: SIGXCPU, the CPU-time limit mutmut puts on a mutant that hangs


def _load_run():
    spec = importlib.util.spec_from_file_location("mutation_run", ROOT / "mutation" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)  # type: ignore[union-attr]
    return run


def diff(key: str, home: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "mutmut", "show", key], cwd=home, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("---")), 0)
    return "\n".join(lines[start:])


def fresh(group: str, digest: str) -> dict[str, dict]:
    """The records of one group's last run in mutants-work/, by module, made from `digest`."""
    home = WORK / group
    by_module: dict[str, dict[str, int | None]] = defaultdict(dict)
    for meta in sorted((home / "mutants").glob("**/*.meta")):
        module = meta.relative_to(home / "mutants").with_suffix("").with_suffix("").as_posix()
        by_module[module].update(json.loads(meta.read_text())["exit_code_by_key"])
    records = {}
    for module, results in by_module.items():
        survived = sorted(k for k, code in results.items() if code not in KILLED and code is not None)
        records[module] = {
            "group": group, "digest": digest, "mutants": len(results),
            "killed": sum(1 for code in results.values() if code in KILLED),
            "not_run": sum(1 for code in results.values() if code is None),
            "survivors": {k: diff(k, home) for k in survived},
        }
    return records


def main(argv: list[str]) -> int:
    run = _load_run()
    recorded: dict[str, dict] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    digests = {g: run.digest(g) for g in run.GROUPS}
    updated = []
    for group in (argv or list(run.GROUPS)):
        # A run stamps the digest of what it was made from when mutmut returns: no stamp, no run.
        stamp = WORK / group / "digest"
        if not stamp.exists():
            continue
        if stamp.read_text().strip() != digests[group]:
            # An older run than the code or tests: it must not replace what results.json holds.
            print(f"mutants-work/{group} was made from other code or tests: run it again "
                  f"(`nox -s mutants -- {group}`); results.json keeps its record", file=sys.stderr)
            continue
        records = fresh(group, digests[group])
        if records:
            recorded = {m: r for m, r in recorded.items() if r["group"] != group} | records
            updated.append(group)
    RESULTS.write_text(json.dumps(dict(sorted(recorded.items())), indent=1, ensure_ascii=False) + "\n")
    rows, sections, below, stale = [], [], [], []
    missing = sorted(m.removesuffix(".py") for g in run.GROUPS for m in run.GROUPS[g][0]
                     if not any(k.startswith(m.removesuffix(".py")) for k in recorded))
    for module, r in sorted(recorded.items()):
        total, killed = r["mutants"], r["killed"]
        survived = sorted(r["survivors"])
        equivalent = [k for k in survived if k in EQUIVALENT]
        score = 100.0 * killed / total if total else 100.0
        adjusted = 100.0 * (killed + len(equivalent)) / total if total else 100.0
        current = r["digest"] == digests.get(r["group"])
        if not current:
            stale.append(module)
        rows.append(f"| `{module}` | {total} | {killed} | {len(survived) - len(equivalent)} | {len(equivalent)} | "
                    f"{r['not_run']} | {score:.1f}% | {adjusted:.1f}% | {'yes' if current else '**stale**'} |")
        if score < TARGET:
            below.append(module)
        for key in survived:
            why = EQUIVALENT.get(key)
            title = f"#### `{key}`" + (" (equivalent)" if why else "")
            sections.append("\n".join([title, "", *([why, ""] if why else []), "```diff", r["survivors"][key], "```", ""]))
    text = "\n".join([
        "# Mutation testing", "",
        "Made by `nox -s mutants` (mutmut over the modules whose mistakes would silently break users' "
        "monitoring: the loader, lint, the secret scanner, SLO maths and rules, the route evaluator, the "
        "writer, the mergers), then `python mutation/report.py`. A mutant is killed when a test fails on it; "
        f"the goal is at least {TARGET:g}% killed in each module. Each group of modules is run against the tests "
        "written for it (mutation/run.py), so a mutant only a test elsewhere catches counts as a survivor. "
        "Equivalent mutants behave exactly like the original (each says why); the last but one column counts "
        "them as killed. Mutants not run (a run stopped early) count as not killed. A result is current while "
        "the module's code and its group's tests are as they were when it was made; a stale one needs a new "
        "run of its group.", "",
        "| module | mutants | killed | survived | equivalent | not run | killed % | with equivalents | current |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |", *rows, "",
        *([f"No results yet (their groups were not run): {', '.join(f'`{m}`' for m in missing)}.", ""]
          if missing else []),
        "## Survivors", "", *sections])
    REPORT.write_text(text.rstrip() + "\n")
    print(f"wrote {REPORT.relative_to(ROOT)} (new results: {', '.join(updated) or 'none'}); "
          f"below {TARGET:g}%: {', '.join(below) or 'none'}; stale: {', '.join(stale) or 'none'}; "
          f"not run: {', '.join(missing) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
