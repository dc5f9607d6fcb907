"""``trackstone models``: list, describe, register, alias, stage and delete registered models."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from trackstone.cli.models_check import check
from trackstone.cli.options import json_option, max_results_option
from trackstone.cli.output import (
    echo_json,
    experiment_to_json,
    format_time_ms,
    print_table,
    run_to_json,
    stdout_console,
    to_jsonable,
)
from trackstone.cli.state import CliState, pass_state
from trackstone.client.model_uris import (
    MODELS_SCHEME,
    is_model_uri,
    parse_model_uri,
    registration_source,
    resolve_model_version,
)
from trackstone.entities.registry import (
    ModelVersion,
    ModelVersionLineage,
    ModelVersionStage,
    ModelVersionTag,
    RegisteredModel,
)
from trackstone.errors import AlreadyExists, InvalidParameter
from trackstone.search.format import format_value
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_LIMIT,
    REGISTERED_MODELS_MAX_RESULTS_LIMIT,
    RegistryStore,
    registry_of,
)

__all__ = ["models"]

_STAGES = [stage.value for stage in ModelVersionStage]


@click.group()
def models() -> None:
    """Browse and manage the model registry: models, versions, aliases and stages."""


def _registry(state: CliState) -> RegistryStore:
    return registry_of(state.store)


def _search_models(
    registry: RegistryStore, filter_string: str | None, order_by: Sequence[str], max_results: int
) -> list[RegisteredModel]:
    found: list[RegisteredModel] = []
    token: str | None = None
    while len(found) < max_results:
        size = min(REGISTERED_MODELS_MAX_RESULTS_LIMIT, max_results - len(found))
        page = registry.search_registered_models(filter_string, size, list(order_by) or None, token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def _versions_of(registry: RegistryStore, name: str) -> list[ModelVersion]:
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = registry.search_model_versions(
            f"name = {format_value(name)}",
            MODEL_VERSIONS_MAX_RESULTS_LIMIT,
            ["version_number DESC"],
            token,
        )
        found.extend(page)
        token = page.token
        if not token:
            return found


def _aliases_text(model: RegisteredModel) -> str:
    return ", ".join(f"{a.alias} → v{a.version}" for a in model.aliases)


def _stages_text(versions: Sequence[ModelVersion]) -> str:
    staged = [v for v in versions if v.current_stage is not ModelVersionStage.NONE]
    return ", ".join(f"{v.current_stage.value}: v{v.version}" for v in staged)


def _newest(versions: Sequence[ModelVersion]) -> str:
    return max((v.version for v in versions), key=int, default="")


@models.command("list")
@click.option("--filter", "filter_string", metavar="FILTER", help="e.g. \"name LIKE 'churn%'\".")
@click.option(
    "--order-by",
    multiple=True,
    metavar="KEY",
    help="name, creation_timestamp or last_updated_timestamp, with ASC/DESC; repeatable.",
)
@max_results_option(100)
@json_option
@pass_state
def list_models(
    state: CliState,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    as_json: bool,
) -> None:
    """List registered models (by name unless --order-by says otherwise)."""
    found = _search_models(_registry(state), filter_string, order_by, max_results)
    if as_json:
        echo_json([to_jsonable(model) for model in found])
        return
    rows = [
        [
            model.name,
            _newest(model.latest_versions),
            _aliases_text(model),
            _stages_text(model.latest_versions),
            format_time_ms(model.last_updated_timestamp),
            model.description,
        ]
        for model in found
    ]
    columns = ["Name", "Latest", "Aliases", "Stages", "Updated", "Description"]
    print_table(columns, rows, no_wrap=["Name"], empty_message="No registered models match.")


def _key_value_table(title: str, items: Mapping[str, str]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("Key", no_wrap=True)
    table.add_column("Value", overflow="fold")
    for key, value in items.items():
        table.add_row(Text(key), Text(value))
    return table


def _describe_model(registry: RegistryStore, name: str, as_json: bool) -> None:
    model = registry.get_registered_model(name)
    versions = _versions_of(registry, name)
    if as_json:
        echo_json({"registered_model": to_jsonable(model), "versions": to_jsonable(versions)})
        return
    console = stdout_console()
    attributes = {
        "name": model.name,
        "description": model.description,
        "user_id": model.user_id,
        "created": format_time_ms(model.creation_timestamp),
        "updated": format_time_ms(model.last_updated_timestamp),
        "versions": str(len(versions)),
    }
    console.print(_key_value_table("Registered model", attributes))
    if model.tags:
        console.print(_key_value_table("Tags", dict(sorted(model.tags.items()))))
    if model.aliases:
        aliases = {a.alias: f"version {a.version}" for a in model.aliases}
        console.print(_key_value_table("Aliases", aliases))
    if model.latest_versions:
        latest = {v.current_stage.value: f"version {v.version}" for v in model.latest_versions}
        console.print(_key_value_table("Latest per stage", latest))
    rows = [
        [
            v.version,
            v.current_stage.value,
            ", ".join(v.aliases),
            v.run_id,
            v.source,
            format_time_ms(v.creation_timestamp),
            v.description,
        ]
        for v in versions
    ]
    columns = ["Version", "Stage", "Aliases", "Run ID", "Source", "Created", "Description"]
    print_table(columns, rows, title="Versions", no_wrap=["Run ID"], empty_message="No versions.")


def _lineage_to_json(lineage: ModelVersionLineage) -> dict[str, Any]:
    return {
        "model_version": to_jsonable(lineage.model_version),
        "run": run_to_json(lineage.run) if lineage.run is not None else None,
        "experiment": (
            experiment_to_json(lineage.experiment) if lineage.experiment is not None else None
        ),
    }


def _describe_version(lineage: ModelVersionLineage) -> None:
    version = lineage.model_version
    console = stdout_console()
    attributes = {
        "name": version.name,
        "version": version.version,
        "stage": version.current_stage.value,
        "status": version.status.value,
        "aliases": ", ".join(version.aliases),
        "description": version.description,
        "source": version.source,
        "storage_location": version.storage_location,
        "run_id": version.run_id,
        "run_link": version.run_link,
        "model_id": version.model_id,
        "user_id": version.user_id,
        "created": format_time_ms(version.creation_timestamp),
        "updated": format_time_ms(version.last_updated_timestamp),
    }
    shown = {key: value for key, value in attributes.items() if value}
    console.print(_key_value_table("Model version", shown))
    if version.tags:
        console.print(_key_value_table("Tags", dict(sorted(version.tags.items()))))
    run, experiment = lineage.run, lineage.experiment
    if run is None:
        reason = "it names no run" if not version.run_id else "its run no longer exists"
        console.print(f"Lineage: none ({reason}).", markup=False)
        return
    origin = {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "status": run.info.status.value,
        "lifecycle_stage": run.info.lifecycle_stage.value,
        "experiment": f"{experiment.name} ({experiment.experiment_id})" if experiment else "",
        "started": format_time_ms(run.info.start_time),
    }
    console.print(_key_value_table("Lineage: source run", origin))
    metrics = {m.key: f"{m.value:.6g} (step {m.step})" for m in run.data.latest_metrics}
    for title, items in (("Params", run.data.params), ("Metrics", metrics)):
        if items:
            console.print(
                _key_value_table(f"Lineage: {title.lower()}", dict(sorted(items.items())))
            )
    if run.inputs.dataset_inputs:
        datasets = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
        console.print(_key_value_table("Lineage: datasets (name: digest)", datasets))


@models.command("describe")
@click.argument("target", metavar="TARGET")
@json_option
@pass_state
def describe_model(state: CliState, target: str, as_json: bool) -> None:
    """Show a model (versions, aliases, tags, latest per stage), or one version with lineage.

    TARGET is NAME, NAME/VERSION, NAME/STAGE, NAME/latest or NAME@ALIAS. NAME alone shows the
    model; NAME/3, NAME/Production, NAME/latest or NAME@champion (or
    the same as a models:/ URI) show that version with the run, params, metrics and
    datasets it came from.
    """
    registry = _registry(state)
    reference = target.partition(":")[2].lstrip("/") if is_model_uri(target) else target
    if "/" not in reference and "@" not in reference:
        _describe_model(registry, reference, as_json)
        return
    try:
        parsed = parse_model_uri(f"{MODELS_SCHEME}:/{reference}", field="TARGET")
    except InvalidParameter as error:
        raise click.UsageError(error.message) from None
    version = resolve_model_version(registry, parsed)
    lineage = registry.get_model_version_lineage(version.name, version.version)
    if as_json:
        echo_json(_lineage_to_json(lineage))
    else:
        _describe_version(lineage)


def _parse_tags(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", ctx, param)
        tags[key] = text
    return tags


@models.command("register")
@click.argument("source_uri")
@click.argument("name")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_parse_tags,
    help="A tag of the new version; repeatable.",
)
@click.option("--description", default="", help="The new version's description.")
@json_option
@pass_state
def register_model(
    state: CliState,
    source_uri: str,
    name: str,
    tags: dict[str, str],
    description: str,
    as_json: bool,
) -> None:
    """Register SOURCE_URI as a new version of NAME (created if missing).

    SOURCE_URI is runs:/<run_id>/<path>, models:/m-<id>, models:/<name>/<version> (or
    @alias, a stage, latest) or an artifact URI.
    """
    store = state.store
    registry = registry_of(store)
    source = registration_source(store, source_uri)
    with contextlib.suppress(AlreadyExists):  # registering into an existing model
        registry.create_registered_model(name)
    version = registry.create_model_version(
        name,
        source.source,
        run_id=source.run_id,
        tags=[ModelVersionTag(key, value) for key, value in tags.items()],
        description=description,
        model_id=source.model_id,
    )
    if as_json:
        echo_json(to_jsonable(version))
        return
    stdout_console().print(
        f"Registered {version.name} version {version.version} from {version.source}",
        markup=False,
    )


@models.group("alias")
def alias() -> None:
    """Set or delete aliases (names like champion that point at one version)."""


@alias.command("set")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("version")
@pass_state
def set_alias(state: CliState, name: str, alias_name: str, version: str) -> None:
    """Point ALIAS of model NAME at VERSION (moving it if it pointed elsewhere)."""
    _registry(state).set_registered_model_alias(name, alias_name, version)
    stdout_console().print(f"{name}@{alias_name} → version {version}", markup=False)


@alias.command("delete")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@pass_state
def delete_alias(state: CliState, name: str, alias_name: str) -> None:
    """Remove ALIAS from model NAME."""
    _registry(state).delete_registered_model_alias(name, alias_name)
    stdout_console().print(f"Deleted alias {name}@{alias_name}", markup=False)


@models.command("stage")
@click.argument("name")
@click.argument("version")
@click.argument("stage", type=click.Choice(_STAGES, case_sensitive=False))
@click.option(
    "--archive-existing",
    is_flag=True,
    help="Archive the other versions in that stage (Staging and Production only).",
)
@json_option
@pass_state
def transition_stage(
    state: CliState, name: str, version: str, stage: str, archive_existing: bool, as_json: bool
) -> None:
    """Move VERSION of model NAME to STAGE (None, Staging, Production, Archived)."""
    moved = _registry(state).transition_model_version_stage(
        name, version, ModelVersionStage.parse(stage), archive_existing
    )
    if as_json:
        echo_json(to_jsonable(moved))
        return
    stdout_console().print(
        f"{moved.name} version {moved.version} is now in {moved.current_stage.value}",
        markup=False,
    )


@models.command("delete")
@click.argument("name")
@click.argument("version", required=False)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def delete_model(state: CliState, name: str, version: str | None, yes: bool) -> None:
    """Delete model NAME with all its versions, or only VERSION of it.

    Version numbers are never reused. A deleted version's run stays protected from
    `trackstone gc` until no version needs it.
    """
    registry = _registry(state)
    if version is None:
        registry.get_registered_model(name)  # NotFound before asking
        count = len(_versions_of(registry, name))
        question = f"Delete registered model {name!r} and its {count} version(s)?"
    else:
        registry.get_model_version(name, version)  # NotFound before asking
        question = f"Delete version {version} of registered model {name!r}?"
    if not yes:
        click.confirm(question, abort=True)
    if version is None:
        registry.delete_registered_model(name)
        stdout_console().print(f"Deleted registered model {name}", markup=False)
    else:
        registry.delete_model_version(name, version)
        stdout_console().print(f"Deleted {name} version {version}", markup=False)


models.add_command(check)
