"""Model architecture: the few numbers that decide a Transformer's compute and memory traffic."""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.vocabulary import Knob
from simulator.workload.cnn import CnnSpec

Family = Literal["encoder", "decoder", "encoder-decoder"]
FfnKind = Literal["plain", "gated"]
Activation = Literal["gelu", "relu", "silu"]
Norm = Literal["layernorm", "rmsnorm"]
Positions = Literal["learned", "rotary", "relative", "none"]


class ModelSpec(BaseModel):
    """Architecture and number formats; everything the operator graph needs, nothing it does not."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    family: Family = "encoder"
    num_layers: Annotated[int, Knob("Layers", group="model")] = Field(
        gt=0, le=1 << 16, description="Layers (encoder layers for an encoder-decoder).")
    num_decoder_layers: int | None = Field(
        default=None, gt=0, description="Decoder layers of an encoder-decoder model (defaults to num_layers)."
    )
    d_model: Annotated[int, Knob("Hidden size", group="model")] = Field(gt=0, le=1 << 20)
    num_heads: Annotated[int, Knob("Attention heads", group="model")] = Field(gt=0, le=1 << 16)
    num_kv_heads: Annotated[int | None, Knob("KV heads", group="model", stored_as="kv_heads")] = Field(
        default=None, gt=0, le=1 << 16, description="Grouped-query attention; None = num_heads.")
    d_ff: Annotated[int, Knob("FFN size", group="model")] = Field(gt=0, le=1 << 22)
    ffn_kind: Annotated[FfnKind, Knob("FFN kind", group="model")] = "plain"
    activation: Activation = "gelu"
    norm: Norm = "layernorm"
    position_embedding: Positions = "learned"
    vocab_size: int = Field(gt=0, description="Vocabulary, or number of classes of a vision model's head.")
    max_positions: int = Field(gt=0)
    weight_bits: int = Field(default=8, gt=0, le=64)
    activation_bits: int = Field(default=8, gt=0, le=64)
    num_experts: int = Field(default=0, ge=0, le=1 << 12, description="Mixture of experts: routed experts per "
                                                                        "layer (0 = a dense FFN).")
    experts_per_token: int = Field(default=0, ge=0, le=1 << 12, description="Routed experts each token runs.")
    shared_expert_d_ff: int = Field(default=0, ge=0, le=1 << 22, description="FFN size of the experts every token "
                                                                             "runs besides the routed ones (0: none).")
    tied_embeddings: bool = Field(default=False, description="The LM head reuses the token embedding table.")
    image_size: int | None = Field(default=None, gt=0, description="Vision models: input side in pixels.")
    patch_size: int | None = Field(default=None, gt=0, description="Vision models: patch side in pixels.")
    num_channels: int = Field(default=3, gt=0)
    source: str = ""

    @model_validator(mode="after")
    def _check_shapes(self) -> ModelSpec:
        if self.d_model % self.num_heads:
            raise ValueError(f"num_heads={self.num_heads} does not divide d_model={self.d_model}")
        if self.num_heads % self.kv_heads:
            raise ValueError(f"num_kv_heads={self.kv_heads} does not divide num_heads={self.num_heads}")
        if self.num_experts and not 1 <= self.experts_per_token <= self.num_experts:
            raise ValueError(f"experts_per_token={self.experts_per_token} must be 1..num_experts={self.num_experts}")
        if (self.image_size is None) != (self.patch_size is None):
            raise ValueError("image_size and patch_size go together (vision models)")
        if self.patch_size is not None and self.image_size is not None and self.image_size % self.patch_size:
            raise ValueError(f"patch_size={self.patch_size} does not divide image_size={self.image_size}")
        return self

    @property
    def kv_heads(self) -> int:
        return self.num_kv_heads or self.num_heads

    @property
    def head_dim(self) -> int:
        return self.d_model // self.num_heads

    @property
    def decoder_layers(self) -> int:
        """Layers that run during prefill/decode (all layers for a decoder-only model)."""
        if self.family == "encoder-decoder":
            return self.num_decoder_layers or self.num_layers
        return self.num_layers

    @property
    def is_vision(self) -> bool:
        return self.patch_size is not None


AnyModelSpec = ModelSpec | CnnSpec  # a Transformer or a CNN; `family` tells them apart ("cnn")


def _preset_files() -> dict[str, resources.abc.Traversable]:
    folder = resources.files("simulator") / "data" / "models"
    return {entry.name.rsplit(".", 1)[0]: entry for entry in folder.iterdir() if entry.name.endswith(".yaml")}


@lru_cache(maxsize=1)
def list_model_presets() -> tuple[str, ...]:
    """Names accepted by `load_model_preset`, sorted."""
    return tuple(sorted(_preset_files()))


class UnknownPresetError(KeyError):
    """Unknown preset name; the message suggests close names."""

    def __str__(self) -> str:
        return str(self.args[0])


@lru_cache(maxsize=64)
def load_model_preset(name: str) -> AnyModelSpec:
    """A preset from `simulator/data/models/<name>.yaml` (case-insensitive, `_` and `-` alike).

    A file with `family: cnn` is a `CnnSpec` (a list of layers); any other is a Transformer `ModelSpec`, so
    callers (sweeps, CLI) load "bert-base" and "resnet-50" the same way.
    """
    files = _preset_files()
    key = name.strip().lower().replace("_", "-")
    if key not in files:
        close = difflib.get_close_matches(key, list(files), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known presets: {', '.join(sorted(files))}"
        raise UnknownPresetError(f"unknown model preset '{name}'{hint}")
    return model_from_data(yaml.safe_load(files[key].read_text(encoding="utf-8")))


def model_from_data(data: object) -> AnyModelSpec:
    """A model description (a preset file's content): `family: cnn` is a `CnnSpec`, anything else a `ModelSpec`."""
    if isinstance(data, dict) and data.get("family") == "cnn":
        return CnnSpec.model_validate(data)
    return ModelSpec.model_validate(data)


def model_from_file(path: str | Path) -> AnyModelSpec:
    """A model described in a YAML file of the presets' format, e.g. another CNN as a list of layers.

    Raises OSError if it cannot be read, ValueError (pydantic's ValidationError) if it is not a valid model.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of model fields")
    return model_from_data(data)


# Model dimensions an architecture search may vary: the ModelSpec fields that carry a Knob (each is one sweep axis).
MODEL_DIMENSIONS: tuple[str, ...] = tuple(
    name for name, info in ModelSpec.model_fields.items() if any(isinstance(m, Knob) for m in info.metadata))


def with_dimensions(model: AnyModelSpec, **overrides: object) -> ModelSpec:
    """`model` (a Transformer preset) with some dimensions replaced, for architecture search (survey Sec 6.4).

    Raises ValueError naming the violated constraint: a Transformer only; known dimensions only; positive integer
    sizes; ffn_kind plain or gated; num_heads divides d_model; num_kv_heads divides num_heads. The result's name
    records the overrides, so a published quality row of the preset never applies to the changed shape.
    """
    if not isinstance(model, ModelSpec):
        raise ValueError(f"model dimensions apply to Transformer models; '{model.name}' is a {model.family}")
    unknown = [name for name in overrides if name not in MODEL_DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown model dimension(s) {', '.join(unknown)}; valid: {', '.join(MODEL_DIMENSIONS)}")
    if not overrides:
        return model
    for name, value in overrides.items():
        if name == "ffn_kind":
            if value not in ("plain", "gated"):
                raise ValueError(f"ffn_kind must be 'plain' or 'gated', got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            if not (isinstance(value, float) and value.is_integer() and value > 0):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
            overrides[name] = int(value)
    merged = {**model.model_dump(), **overrides}
    heads, d_model = merged["num_heads"], merged["d_model"]
    kv_heads = merged["num_kv_heads"] or heads
    if d_model % heads:
        raise ValueError(f"num_heads must divide d_model: d_model={d_model} is not a multiple of num_heads={heads}")
    if heads % kv_heads:
        raise ValueError(f"num_kv_heads must divide num_heads: num_heads={heads} is not a multiple of "
                         f"num_kv_heads={kv_heads}")
    label = ",".join(f"{name}={overrides[name]}" for name in MODEL_DIMENSIONS if name in overrides)
    merged["name"] = f"{model.name}[{label}]"
    return ModelSpec.model_validate(merged)
