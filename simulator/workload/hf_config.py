"""Import a Hugging Face `config.json` (parsed here; the hub is never contacted)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.workload.model import ModelSpec


class ConfigImportError(ValueError):
    """A config.json that cannot become a ModelSpec; the message names the file and the field."""


@lru_cache(maxsize=1)
def _mapping() -> dict[str, Any]:
    text = (resources.files("simulator") / "data" / "hf_architectures.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _activation(raw: Any, activations: dict[str, str], where: str) -> tuple[str, str | None]:
    """(activation, ffn_kind override): T5 spells gated FFNs as 'gated-gelu'."""
    name = str(raw)
    gated = name.startswith("gated-")
    name = name.removeprefix("gated-")
    if name not in activations:
        raise ConfigImportError(f"{where}: unsupported activation '{raw}' (supported: {', '.join(activations)})")
    return activations[name], ("gated" if gated else None)


def model_from_hf_config(path: str | Path, name: str | None = None) -> ModelSpec:
    """ModelSpec from a config.json file (see `model_from_hf_dict`)."""
    path = Path(path)
    where = str(path)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigImportError(f"{where}: cannot read ({error.strerror or error})") from error
    except json.JSONDecodeError as error:
        raise ConfigImportError(f"{where}: not valid JSON ({error.msg} at line {error.lineno})") from error
    except UnicodeDecodeError as error:
        raise ConfigImportError(f"{where}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    return model_from_hf_dict(config, name, where=where, origin=f"{path.parent.name}/{path.name}",
                              default_name=path.parent.name)


def model_from_hf_dict(config: Any, name: str | None = None, where: str = "config.json",
                       origin: str = "config.json", default_name: str = "") -> ModelSpec:
    """ModelSpec from a config.json's content: performance fields mapped, known irrelevant fields ignored.

    Unknown fields are refused (named in the error) rather than silently dropped: a field we do not know
    might change the compute (mixture of experts, sliding windows…).
    """
    if not isinstance(config, dict):
        raise ConfigImportError(f"{where}: expected a JSON object")
    mapping = _mapping()
    model_type = config.get("model_type")
    if model_type is None:
        raise ConfigImportError(f"{where}: missing required field 'model_type'")
    if not isinstance(model_type, str):
        raise ConfigImportError(f"{where}: model_type must be a string, not {type(model_type).__name__}")
    arch = mapping["architectures"].get(model_type)
    if arch is None:
        known = ", ".join(sorted(mapping["architectures"]))
        raise ConfigImportError(f"{where}: unsupported architecture model_type='{model_type[:80]}' "
                                f"(supported: {known})")

    fields: dict[str, str] = arch["fields"]
    optional = set(arch.get("optional", []))
    used = set(fields.values())
    ignored = set(mapping["ignored_fields"]) | set(arch.get("ignored", []))
    suffixes = tuple(mapping["ignored_suffixes"])
    unknown = sorted(key for key in config if key not in used and key not in ignored and not key.endswith(suffixes))
    if unknown:
        raise ConfigImportError(f"{where}: unknown field(s) for {model_type}: {', '.join(unknown)}")

    try:
        return _model_spec(config, arch, mapping, model_type, fields, optional, origin,
                           name or config.get("_name_or_path") or default_name or model_type, where)
    except (TypeError, ArithmeticError) as error:  # a field of the wrong type or value (a list, zero, 1e400…)
        raise ConfigImportError(f"{where}: invalid field value for {model_type} ({error})") from error


def _model_spec(config: dict[str, Any], arch: dict[str, Any], mapping: dict[str, Any], model_type: str,
                fields: dict[str, str], optional: set[str], origin: str, name: str, where: str) -> ModelSpec:
    values: dict[str, Any] = dict(arch.get("defaults", {}))
    for target, key in fields.items():
        value = config.get(key)
        if value is None:
            if target not in optional:
                raise ConfigImportError(f"{where}: missing required field '{key}' ({model_type})")
            continue
        values[target] = value
    spec: dict[str, Any] = {"name": name,
                            "family": arch["family"], **arch["fixed"],
                            "source": f"Hugging Face config.json ({model_type}): {origin}"}
    if "activation" in values:
        spec["activation"], gated = _activation(values.pop("activation"), mapping["activations"], where)
        if gated:
            spec["ffn_kind"] = gated
    head_dim = values.pop("head_dim", None)
    if head_dim is not None and head_dim * values["num_heads"] != values["d_model"]:
        raise ConfigImportError(f"{where}: unsupported head size {head_dim} x num_heads={values['num_heads']} "
                                f"!= d_model={values['d_model']}")
    if "d_ff" not in values:
        values["d_ff"] = arch.get("d_ff_factor", 4) * values["d_model"]
    if arch.get("vision"):
        patches = (values["image_size"] // values["patch_size"]) ** 2
        values["max_positions"] = patches + 1  # + [CLS]
        labels = config.get("id2label")
        values["vocab_size"] = len(labels) if isinstance(labels, dict) and labels else 1000
    spec.update(values)
    try:
        return ModelSpec.model_validate(spec)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "config"
        raise ConfigImportError(f"{where}: {field}: {first['msg']}") from error
