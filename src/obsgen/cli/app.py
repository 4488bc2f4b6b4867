"""The command line: turns flags into calls to the library API and reports results.

Exit codes: 0 success, 1 the spec has errors or a check failed, 2 wrong usage or a missing tool.

Commands import what they use when they run (function-level imports): `obsgen --help`, and the
plain `validate` and `build` that pre-commit hooks and CI run, import only what they need.
"""
from __future__ import annotations

import json
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from obsgen import __version__
from obsgen.cli import reporters
from obsgen.cli.commands import build as run_build
from obsgen.cli.commands import err, load, write_file
from obsgen.cli.commands import validate as run_validate

app = typer.Typer(
    name="obsgen", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Compile one declarative observability spec into Prometheus, Alertmanager, Grafana and Jaeger config.",
    context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode=None)


class Format(str, Enum):
    text = "text"
    json = "json"


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


SpecPaths = Annotated[Optional[list[Path]], typer.Argument(
    help="spec files or folders (default: specs/)", show_default=False)]
FormatOpt = Annotated[Format, typer.Option("--format", help="how to print diagnostics")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="treat warnings as errors")]


def _err(text: str) -> None:
    err(text)


def _load(paths: list[Path] | None, fmt: Format, strict: bool, output: str | None = None, findings: bool = True):
    return load(paths, fmt.value, strict, output, findings)


class OutputTarget(str, Enum):
    files = "files"
    operator = "operator"
    mimir = "mimir"


TargetOpt = Annotated[Optional[OutputTarget], typer.Option(
    "--target", help="the output target (files, operator, mimir) for every environment, instead of each "
                     "environment's `output.target`")]


@app.command()
def validate(paths: SpecPaths = None, fmt: FormatOpt = Format.text, strict: StrictOpt = False,
             target: TargetOpt = None) -> None:
    """Check the spec and report every problem; writes nothing.

    Examples:\n
      obsgen validate\n
      obsgen validate specs/ extra/team-quant.yaml --format json
    """
    code = run_validate(paths, fmt.value, strict, target.value if target else None)
    if code:
        raise typer.Exit(code)


@app.command()
def build(paths: SpecPaths = None,
          out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("generated"),
          check: Annotated[bool, typer.Option(
              "--check", help="write nothing; exit 1 and list the files that differ when the output is stale")] = False,
          fmt: FormatOpt = Format.text, strict: StrictOpt = False, target: TargetOpt = None) -> None:
    """Validate the spec and write every environment's configuration under --out.

    Examples:\n
      obsgen build\n
      obsgen build specs/ --out /tmp/out\n
      obsgen build --target operator --out /tmp/operator\n
      obsgen build --check        # in CI: is generated/ up to date?
    """
    code = run_build(paths, out, check, fmt.value, strict, target.value if target else None)
    if code:
        raise typer.Exit(code)


@app.command()
def check(root: Annotated[Path, typer.Argument(help="a built output folder")] = Path("generated"),
          fmt: FormatOpt = Format.text) -> None:
    """Run promtool, amtool and obsgen's structural checks over a built tree.

    Examples:\n
      obsgen check\n
      obsgen check /tmp/out --format json
    """
    from obsgen.features.verify import ToolMissing, check_tree

    if not root.is_dir():
        _err(f"obsgen check: {root} is not a folder; run `obsgen build` first")
        raise typer.Exit(2)
    try:
        results = check_tree(root)
    except ToolMissing as exc:
        _err(f"obsgen check: {exc}")
        raise typer.Exit(2)
    failed = [r for r in results if not r.ok]
    sys.stdout.write(reporters.check_results(results, fmt.value))
    if failed or not results:
        if not results:
            _err(f"obsgen check: nothing to check under {root}")
        raise typer.Exit(1)


@app.command()
def diff(paths: SpecPaths = None,
         against: Annotated[Optional[Path], typer.Option(
             "--against", help="a built folder to compare with (default: generated/)")] = None,
         base: Annotated[Optional[str], typer.Option(
             "--base", help="compare with the spec at this git ref, e.g. origin/main")] = None,
         fmt: Annotated[DiffFormat, typer.Option(
             "--format", help="text, markdown (a pull-request comment) or json")] = DiffFormat.text,
         color: Annotated[Optional[bool], typer.Option(
             "--color/--no-color", help="ANSI colours (default: when stdout is a terminal)", show_default=False)] = None,
         exit_zero: Annotated[bool, typer.Option("--exit-zero", help="exit 0 even when something changed")] = False,
         ) -> None:
    """What the spec changes, object by object: against the built generated/ folder (default), another
    built folder (--against) or the spec at a git ref (--base). Exit 1 when something changed, 2 when
    either side cannot be built.

    Examples:\n
      obsgen diff\n
      obsgen diff --base origin/main --format markdown\n
      obsgen diff --against /tmp/old-build --format json
    """
    from obsgen.core.diagnostics import format_text
    from obsgen.features.diff import DiffError, format_report, run_diff

    if against is not None and base is not None:
        _err("obsgen diff: give --against or --base, not both")
        raise typer.Exit(2)
    try:
        report = run_diff(paths, against=against, base=base)
    except DiffError as exc:
        for d in exc.diagnostics:
            _err(format_text(d))
        _err(f"obsgen diff: {exc}")
        raise typer.Exit(2)
    sys.stdout.write(format_report(report, fmt.value, color=sys.stdout.isatty() if color is None else color))
    if not report.empty and not exit_zero:
        raise typer.Exit(1)


@app.command()
def drill(paths: SpecPaths = None, env: EnvOpt = None,
          fmt: FormatOpt = Format.text,
          all_envs: Annotated[bool, typer.Option("--all", help="drill every environment")] = False) -> None:
    """A fire drill on this machine: a real Alertmanager on loopback with the generated config, its
    receivers pointed at a local capture server, one synthetic alert per row of the routing table,
    and an inhibition pair. Reports where each alert landed; exit 0 only when every one landed where
    the spec says. Timing is compressed to seconds; time intervals are left out (the report says so).

    Examples:\n
      obsgen drill\n
      obsgen drill --env development --format json\n
      obsgen drill --all
    """
    from obsgen.api import generate
    from obsgen.features.drill.drill import DrillError, environment_files, format_report, report_dict, run_drill
    from obsgen.features.verify import ToolMissing

    project, failed = _load(paths, Format.text, False, findings=False)
    if failed:
        raise typer.Exit(1)
    envs = [m.env for m in project.models] if all_envs else [_pick(project, env).env]
    files = generate(project)
    reports = []
    try:
        for name in envs:
            reports.append((name, run_drill(environment_files(files, name))))
    except ToolMissing as exc:
        _err(f"obsgen drill: {exc}")
        raise typer.Exit(2)
    except DrillError as exc:
        _err(f"obsgen drill: {exc}")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        _err("obsgen drill: interrupted; Alertmanager stopped and temporary files removed")
        raise typer.Exit(130)
    if fmt is Format.json:
        print(json.dumps({"environments": {name: report_dict(r) for name, r in reports},
                          "ok": all(r.ok for _, r in reports)}, indent=2))
    else:
        for name, report in reports:
            if len(reports) > 1:
                print(f"== {name}")
            sys.stdout.write(format_report(report, "text"))
    if not all(r.ok for _, r in reports):
        raise typer.Exit(1)


@app.command()
def schema(output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="write the schema here instead of stdout")] = None) -> None:
    """Print the JSON Schema of a spec file, for editors (yaml-language-server, VS Code) and CI.

    Example:\n
      obsgen schema -o schemas/obsgen-v1.json
    """
    from obsgen.spec.schema import schema_text

    text = schema_text()
    if output:
        problem = write_file(output, text)
        if problem:
            _err(f"obsgen schema: {problem}")
            raise typer.Exit(1)
        _err(f"wrote {output}")
    else:
        sys.stdout.write(text)


EnvOpt = Annotated[Optional[str], typer.Option(
    "--env", help="environment (default: production if defined, else the first alphabetically)")]


def _model(paths: list[Path] | None, env: str | None):
    """The one environment a command looks at; exits 1 on spec errors, 2 on an unknown --env."""
    project, failed = _load(paths, Format.text, False, findings=False)
    if failed:
        raise typer.Exit(1)
    return _pick(project, env)


def _pick(project, env: str | None):
    by_env = {m.env: m for m in project.models}
    if env is None:
        return by_env.get("production", project.models[0])
    if env not in by_env:
        _err(f"no environment {env!r}; the spec has: {', '.join(sorted(by_env))}")
        raise typer.Exit(2)
    return by_env[env]


class TestFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


@app.command("test")
def test_cmd(paths: SpecPaths = None,
             env: Annotated[Optional[str], typer.Option(
                 "--env", help="only this environment (default: every environment)", show_default=False)] = None,
             fmt: Annotated[TestFormat, typer.Option("--format", help="text, json, or junit (for CI dashboards)")]
             = TestFormat.text) -> None:
    """Run every promtool unit test of the build (the SLO alerts' stories, and the tests written next to
    alerts and recording rules) and report each case: passed, or which check failed and why, with the
    case's place in the spec. Exits 1 when a test fails.

    Examples:\n
      obsgen test\n
      obsgen test --env production --format junit > obsgen-tests.xml
    """
    from obsgen.api import generate
    from obsgen.features.prove import json_report, junit_report, run_tests, text_report
    from obsgen.features.verify import ToolMissing

    project, failed = _load(paths, Format.text, False, findings=False)
    if failed:
        raise typer.Exit(1)
    if env is not None:
        project.models = [_pick(project, env)]
    promtool = shutil.which("promtool")
    if promtool is None:
        _err(f"obsgen test: {ToolMissing(['promtool'])}")
        raise typer.Exit(2)
    files = generate(project, targets=["rules", "slo"])
    report = run_tests(project.models, files, project.trees, promtool)
    if fmt is TestFormat.json:
        print(json.dumps(json_report(report), indent=2))
    elif fmt is TestFormat.junit:
        sys.stdout.write(junit_report(report))
    else:
        sys.stdout.write(text_report(report))
    if report.failed:
        raise typer.Exit(1)


@app.command()
def explain(paths: SpecPaths = None, env: EnvOpt = None,
            coverage: Annotated[bool, typer.Option("--coverage", help="the per-service coverage table instead")] = False,
            packs: Annotated[bool, typer.Option("--packs", help="what packs, types and tiers give each service "
                                                                "instead")] = False,
            fmt: FormatOpt = Format.text) -> None:
    """How soon each alert can notify (worst case), who it reaches, and what tests prove it (the alerts
    obsgen cannot generate a test for, and why); or, with --coverage, which services have an owner, a
    scrape job, alerts, an SLO and a dashboard; or, with --packs, what each service got from its
    exporter's pack, its type, its tier and its dependencies, and what its `batteries:` changed.

    Time to notify = scrape interval + rule evaluation interval + `for` + the route's group_wait.

    Examples:\n
      obsgen explain\n
      obsgen explain --env development --format json\n
      obsgen explain --coverage\n
      obsgen explain --packs
    """
    model = _model(paths, env)
    if packs:
        sys.stdout.write(reporters.packs(model, fmt.value))
        return
    from obsgen.check.objectives import Explainer
    from obsgen.features.prove import proofs

    explainer = Explainer(model)
    if coverage:
        sys.stdout.write(reporters.coverage(model, explainer, fmt.value))
    else:
        sys.stdout.write(reporters.timings(model, explainer, fmt.value, proofs(model)))


@app.command()
def route(labels: Annotated[list[str], typer.Argument(help="LABEL=VALUE pairs of an alert", show_default=False)],
          paths: Annotated[Optional[list[Path]], typer.Option("--spec", help="spec files or folders (default: specs/)")] = None,
          env: EnvOpt = None, fmt: FormatOpt = Format.text) -> None:
    """Which receivers (and integrations) an alert with these labels reaches, from the generated routing
    tree: the same answer as `amtool config routes test`.

    Examples:\n
      obsgen route team=quant severity=critical\n
      obsgen route --env development team=backend severity=warning category=business
    """
    from obsgen.core.routes import describe_route, parse_label_args
    from obsgen.targets.alertmanager import config

    try:
        parsed = parse_label_args(labels)
    except ValueError as exc:
        _err(f"obsgen route: {exc}")
        raise typer.Exit(2)
    model = _model(paths, env)
    hits = describe_route(config(model), parsed)
    if fmt is Format.json:
        print(json.dumps({"environment": model.env, "labels": parsed, "routes": hits}, indent=2))
        return
    for hit in hits:
        print(f"{hit['receiver']}: {', '.join(hit['integrations']) or '(no integrations)'}")


class _ImportGroup(TyperGroup):
    """`obsgen import PATH...` (no kind named) is `obsgen import auto PATH...`."""

    def parse_args(self, ctx, args):
        # Before the group reads its own options, so that `obsgen import -o x.yaml dir/` works too;
        # a lone argument naming a kind that is also a folder here is the folder.
        named = bool(args) and args[0] in self.commands and not (len(args) == 1 and Path(args[0]).exists())
        if args and not named and args[0] not in ("-h", "--help"):
            args = ["auto", *args]
        return super().parse_args(ctx, args)


import_app = typer.Typer(help="Turn other tools' SLO files (Sloth, OpenSLO, Pyrra), rule files, Grafana "
                              "dashboards, Alertmanager configurations and prometheus.yml into an obsgen spec "
                              "(printed, or written with -o). `obsgen import PATH...` finds each file's kind.",
                         no_args_is_help=True, rich_markup_mode=None, cls=_ImportGroup)
app.add_typer(import_app, name="import")

ImportFiles = Annotated[list[Path], typer.Argument(help="files or folders to import", show_default=False)]
OutOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="write the spec here instead of stdout")]
TeamOpt = Annotated[str, typer.Option("--team", help="team for services whose input names none")]
IntoOpt = Annotated[Optional[list[Path]], typer.Option(
    "--into", help="the obsgen project (spec files or folders; repeatable) the rules go into: the spec is written to "
                   "be validated with it, using its teams, routing and metrics, with names apart from its own; "
                   "nothing is imported if it has errors", show_default=False)]
NoInferOpt = Annotated[bool, typer.Option(
    "--no-infer", help="write no metric catalog inferred from the expressions, so that `obsgen validate` reports "
                       "each metric nothing provides (OBS050)")]


def _import(kind: str, files: list[Path], output: Path | None, team: str | None, **options) -> None:
    from obsgen.core.diagnostics import format_text
    from obsgen.features.importers import (
        import_alertmanager,
        import_grafana,
        import_openslo,
        import_prometheus,
        import_pyrra,
        import_rules,
        import_sloth,
    )

    if kind == "auto":
        from obsgen.features.importers.detect import import_any

        text, diags = import_any(files, team)
    elif kind == "grafana":
        text, diags = import_grafana(files)
    elif kind == "alertmanager":
        text, diags = import_alertmanager(files)
    elif kind == "prometheus":
        text, diags = import_prometheus(files, team=team or "imported")
    else:
        importer = {"sloth": import_sloth, "openslo": import_openslo, "pyrra": import_pyrra, "rules": import_rules}[kind]
        text, diags = importer(files, team=team, **options)
    for d in diags:
        _err(format_text(d))
    if text is None:
        _err("nothing imported")
        raise typer.Exit(1)
    if output:
        problem = write_file(output, text)
        if problem:
            _err(f"obsgen import: {problem}; nothing imported")
            raise typer.Exit(1)
        _err(f"wrote {output}")
    else:
        sys.stdout.write(text)


@import_app.command("auto")
def import_auto_cmd(files: ImportFiles, output: OutOpt = None,
                    team: Annotated[Optional[str], typer.Option(
                        "--team", help="team for services whose input names none (default: each importer's)",
                        show_default=False)] = None) -> None:
    """Files and folders of any kinds the importers read: each file's kind is found from its content
    (Sloth, OpenSLO, Pyrra, rule files, Alertmanager, prometheus.yml, Grafana), each kind imported,
    and the specs merged into one. `obsgen import PATH...` is the same.

    Example:\n
      obsgen import monitoring/ -o specs/imported.yaml
    """
    _import("auto", files, output, team)


@import_app.command("sloth")
def import_sloth_cmd(files: ImportFiles, output: OutOpt = None, team: TeamOpt = "slo-owners") -> None:
    """Sloth `prometheus/v1` SLO files and `PrometheusServiceLevel` resources.

    Example:\n
      obsgen import sloth slos/*.yaml -o specs/slos.yaml
    """
    _import("sloth", files, output, team)


@import_app.command("openslo")
def import_openslo_cmd(files: ImportFiles, output: OutOpt = None, team: TeamOpt = "slo-owners") -> None:
    """OpenSLO v1 documents (SLO, SLI, Service, DataSource).

    Example:\n
      obsgen import openslo openslo/ -o specs/slos.yaml
    """
    _import("openslo", files, output, team)


@import_app.command("pyrra")
def import_pyrra_cmd(files: ImportFiles, output: OutOpt = None, team: TeamOpt = "slo-owners") -> None:
    """Pyrra `ServiceLevelObjective` resources (pyrra.dev/v1alpha1): ratio, latency, latencyNative and
    bool_gauge indicators, grouping, alerting settings.

    Example:\n
      obsgen import pyrra slos/ -o specs/slos.yaml
    """
    _import("pyrra", files, output, team)


@import_app.command("rules")
def import_rules_cmd(files: ImportFiles, output: OutOpt = None, team: TeamOpt = "imported",
                     into: IntoOpt = None, no_infer: NoInferOpt = False) -> None:
    """Prometheus rule files (`groups:`) and PrometheusRule resources: a service per rule group, with
    a metric catalog inferred from the expressions. Building the result gives the same rules back.

    Examples:\n
      obsgen import rules rules/*.yml -o specs/imported-rules.yaml\n
      obsgen import rules rules/*.yml --into specs/ --no-infer -o imported.yaml && obsgen validate specs/ imported.yaml
    """
    _import("rules", files, output, team, into=into, infer=not no_infer)


@import_app.command("grafana")
def import_grafana_cmd(files: ImportFiles, output: OutOpt = None) -> None:
    """Grafana dashboards: JSON files (plain, exported for sharing, or API-wrapped), ConfigMaps
    holding dashboard JSON, GrafanaDashboard resources. Each becomes a `dashboards` entry (with the
    `datasources` it uses); settings obsgen does not model are kept in `extra`, each reported
    (OBS069). Building the result gives the dashboards back.

    Example:\n
      obsgen import grafana dashboards/ -o specs/dashboards.yaml
    """
    _import("grafana", files, output, None)


@import_app.command("prometheus")
def import_prometheus_cmd(files: ImportFiles, output: OutOpt = None, team: TeamOpt = "imported") -> None:
    """A prometheus.yml: a service per scrape job (discovery, relabelling, auth and settings under
    Prometheus' names), the global settings, Alertmanagers, remote write and read. Literal secrets
    become *_file references (OBS081). The result is built and compared with the input before it
    is written.

    Example:\n
      obsgen import prometheus prometheus.yml -o specs/scraping.yaml
    """
    _import("prometheus", files, output, team)


@import_app.command("alertmanager")
def import_alertmanager_cmd(files: ImportFiles, output: OutOpt = None) -> None:
    """An Alertmanager configuration (alertmanager.yml, or a Kubernetes Secret holding one) as
    obsgen's routing section: receivers, routes (match/match_re as matchers), inhibit rules, time
    intervals, global settings. Literal secrets become *_file references (OBS081). The result is
    built and compared with the input before it is written.

    Example:\n
      obsgen import alertmanager alertmanager.yml -o specs/routing.yaml
    """
    _import("alertmanager", files, output, None)


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="folder for the new project")] = Path(".")) -> None:
    """Create a commented starter project: DIRECTORY/specs/*.yaml.

    Example:\n
      obsgen init demo/ && cd demo && obsgen build
    """
    from obsgen.features.scaffold import write_starter

    try:
        written = write_starter(directory)
    except FileExistsError as exc:
        _err(f"obsgen init: {exc} already exists; not overwriting")
        raise typer.Exit(1)
    except OSError as exc:
        _err(f"obsgen init: cannot write {exc.filename or directory}: {exc.strerror or exc}")
        raise typer.Exit(1)
    for path in written:
        _err(f"created {path}")


def _version(value: bool) -> None:
    if value:
        print(f"obsgen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version")] = False) -> None:
    pass
