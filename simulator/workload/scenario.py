"""Inference scenario (batch, lengths) and the workload it forms with a model."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.vocabulary import Knob
from simulator.workload.cnn import CnnSpec, check_resolution
from simulator.workload.model import ModelSpec


class Scenario(BaseModel):
    """How the model is run.

    Encoder: `seq_len` tokens per sequence. Decoder: a prefill pass over `prompt_len` tokens (causal
    attention), then `generate_len` decode steps, one token each, attending to a KV cache that grows from
    prompt_len + 1 to prompt_len + generate_len (the paper's GPT-2 convention is prompt_len = 0,
    generate_len = l). For a decoder, `seq_len` alone means prompt_len = seq_len, no generation.
    Encoder-decoder: `seq_len` is the source length; the decoder side is prompt_len (default 1, the start
    token) plus generate_len. A vision encoder without `seq_len` runs its full patch sequence (+ [CLS]).
    Decode step j consumes generated token j (so the prompt's last logits, from prefill, give token 1 and the
    T steps' logits give tokens 2…T+1): T steps keep prompt_len = 0 equal to the paper's l one-token steps.
    CNN: one forward pass over `batch` images of `image_size` x `image_size` pixels (default: the model's).
    Token lengths do not apply to a CNN and `image_size` does not apply to a Transformer; each ignores the
    other's fields, so one list of scenarios serves a sweep that mixes "bert-base" and "resnet-50".
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch: Annotated[int, Knob("Batch size", group="scenario")] = Field(default=1, gt=0, le=1 << 20)
    seq_len: Annotated[int | None, Knob("Sequence length", "tokens", "scenario")] = Field(
        default=None, gt=0, le=1 << 24)
    prompt_len: Annotated[int | None, Knob("Prompt length", "tokens", "scenario")] = Field(
        default=None, ge=0, le=1 << 24)
    generate_len: Annotated[int, Knob("Generated tokens", "tokens", "scenario")] = Field(default=0, ge=0, le=1 << 24)
    image_size: Annotated[int | None, Knob("Image size", "px", "scenario")] = Field(
        default=None, gt=0, le=1 << 16, description="CNN input side in pixels; None = the model's.")
    include_embeddings: Annotated[bool | None, Knob("Embeddings included", group="scenario")] = Field(
        default=None, description="None: included for a model that generates text (decoder, encoder-decoder), not "
                                  "for an encoder")
    include_lm_head: Annotated[bool | None, Knob("LM head included", group="scenario")] = Field(
        default=None, description="None: included for a model that generates text (its logits give every token), "
                                  "not for an encoder (its classifier head only when asked)")
    prefill_chunk: Annotated[int, Knob("Prefill chunk", "tokens", "scenario")] = Field(
        default=0, ge=0, le=1 << 24, description="Chunked prefill: the prompt runs in chunks of this many tokens per "
                                                 "sequence, each attending to the keys so far (0: all at once)")
    moe_routing: Annotated[Literal["expected", "worst"], Knob("MoE routing", group="scenario")] = Field(
        default="expected", description="Experts a mixture-of-experts layer reads for a batch of B tokens: "
                                        "'expected' under uniform routing, E·(1−(1−k/E)^B); 'worst' min(E, B·k)")
    tensor_parallel: Annotated[int, Knob("Tensor parallelism", "devices", "parallelism")] = Field(
        default=1, ge=1, le=1024, description="Megatron split of every layer over this many devices")
    pipeline_parallel: Annotated[int, Knob("Pipeline parallelism", "stages", "parallelism")] = Field(
        default=1, ge=1, le=1024, description="Layers split into this many consecutive stages")
    expert_parallel: Annotated[bool, Knob("Expert parallelism", group="parallelism")] = Field(
        default=False, description="Mixture of experts on several tensor-parallel devices: whole experts spread over "
                                   "them (E/TP each), tokens dispatched and combined by all-to-all, instead of every "
                                   "expert split TP ways")
    devices: Annotated[int | None, Knob("Devices", "", "parallelism")] = Field(
        default=None, ge=1, le=1 << 16, description="Accelerators the model runs on: tensor_parallel x "
                                                    "pipeline_parallel (None: that product)")
    allow_longer: Annotated[bool, Knob("Allow longer sequences", group="scenario", sweepable=False, column=False)] = (
        Field(default=False, description="Allow sequences past the model's max positions."))

    @model_validator(mode="before")
    @classmethod
    def _devices_default_to_the_split(cls, data: Any) -> Any:
        """Devices left out are tensor_parallel x pipeline_parallel."""
        if isinstance(data, dict) and data.get("devices") is None:
            data = {**data, "devices": int(data.get("tensor_parallel") or 1) * int(data.get("pipeline_parallel") or 1)}
        return data

    @property
    def device_count(self) -> int:
        return self.devices or self.tensor_parallel * self.pipeline_parallel

    @model_validator(mode="after")
    def _devices(self) -> Scenario:
        if self.tensor_parallel * self.pipeline_parallel != self.device_count:
            raise ValueError(f"tensor_parallel x pipeline_parallel ({self.tensor_parallel} x "
                             f"{self.pipeline_parallel}) must equal devices ({self.devices})")
        return self


class Workload(BaseModel):
    """A model and a scenario, checked together (lengths against max positions, family against fields)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: ModelSpec | CnnSpec
    scenario: Scenario

    @model_validator(mode="after")
    def _check(self) -> Workload:
        model, scenario = self.model, self.scenario
        if isinstance(model, CnnSpec):
            check_resolution(model, self.image_size)
            if scenario.device_count > 1:
                raise ValueError(f"{model.name} is a CNN: tensor and pipeline parallelism apply to Transformers")
            return self
        _check_split(model, scenario)
        if model.family == "encoder":
            if self.encoder_len == 0:
                raise ValueError(f"{model.name} is an encoder: give seq_len")
            if scenario.prompt_len or scenario.generate_len:
                raise ValueError(f"{model.name} is an encoder: prompt/generate lengths do not apply")
        elif (model.family == "decoder" and scenario.seq_len is not None and scenario.prompt_len is not None
              and scenario.seq_len != scenario.prompt_len):
            raise ValueError(f"{model.name} is a decoder: seq_len is its prompt length; give one of seq_len or "
                             "prompt_len")
        elif model.family == "decoder" and self.prompt_len + self.generate_len == 0:
            raise ValueError(f"{model.name} is a decoder: give seq_len, or prompt_len and/or generate_len")
        elif model.family == "encoder-decoder" and scenario.seq_len is None:
            raise ValueError(f"{model.name} is an encoder-decoder: give seq_len (source length)")
        longest = max(self.encoder_len, self.prompt_len + self.generate_len)
        if longest > model.max_positions and not scenario.allow_longer:
            raise ValueError(
                f"sequence length {longest} exceeds {model.name}'s max positions {model.max_positions} "
                "(use allow_longer / --allow-longer to profile it anyway)"
            )
        return self

    @property
    def generates(self) -> bool:
        """A model that generates text (decoder, encoder-decoder)."""
        return self.model.family in ("decoder", "encoder-decoder")

    @property
    def include_lm_head(self) -> bool:
        """The scenario's choice, else the family's default (a text generator computes its logits)."""
        chosen = self.scenario.include_lm_head
        return self.generates if chosen is None else chosen

    @property
    def include_embeddings(self) -> bool:
        chosen = self.scenario.include_embeddings
        return self.generates if chosen is None else chosen

    @property
    def image_size(self) -> int:
        """CNN input side in pixels (the scenario's, else the model's); 0 for a Transformer."""
        if isinstance(self.model, CnnSpec):
            return self.scenario.image_size or self.model.image_size
        return 0

    @property
    def encoder_len(self) -> int:
        """Tokens of the encoder pass (0 for a decoder-only model or a CNN); a vision model defaults to all its
        patches."""
        if self.model.family in ("decoder", "cnn"):
            return 0
        return self.scenario.seq_len or (self.model.max_positions if self.model.is_vision else 0)

    @property
    def prompt_len(self) -> int:
        """Tokens of the prefill pass (0 for an encoder-only model)."""
        family, scenario = self.model.family, self.scenario
        if family in ("encoder", "cnn"):
            return 0
        if scenario.prompt_len is not None:
            return scenario.prompt_len
        if family == "decoder":
            return scenario.seq_len or 0
        return 1

    @property
    def generate_len(self) -> int:
        return 0 if self.model.family in ("encoder", "cnn") else self.scenario.generate_len


def _check_split(model: ModelSpec, scenario: Scenario) -> None:
    """Megatron's split needs whole heads per device (KV heads split, or replicated when fewer than devices) and a
    pipeline stage needs at least one layer."""
    tp, pp = scenario.tensor_parallel, scenario.pipeline_parallel
    if model.num_heads % tp:
        raise ValueError(f"tensor_parallel={tp} must divide {model.name}'s num_heads={model.num_heads}")
    if model.kv_heads % tp and tp % model.kv_heads:
        raise ValueError(f"tensor_parallel={tp} and {model.name}'s KV heads ({model.kv_heads}) must divide one "
                         "another (KV heads are split, or replicated when fewer than devices)")
    if pp > min(model.num_layers, model.decoder_layers):
        raise ValueError(f"pipeline_parallel={pp} exceeds {model.name}'s layers ({model.num_layers})")
