"""Hugging Face config.json import: real published files import as they are; bad ones fail by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.workload import ConfigImportError, load_model_preset, model_from_hf_config

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hf"

PERFORMANCE_FIELDS = ("family", "num_layers", "d_model", "num_heads", "kv_heads", "d_ff", "ffn_kind", "activation",
                      "norm", "vocab_size", "max_positions")


@pytest.mark.parametrize(
    ("folder", "preset"),
    [("bert-base-uncased", "bert-base"), ("gpt2", "gpt2"), ("gpt2-medium", "gpt2-medium"),
     ("llama-2-7b-hf", "llama-2-7b"), ("mistral-7b-v0.1", "mistral-7b"), ("vit-base-patch16-224", "vit-b-16")],
)
def test_published_configs_match_presets(folder: str, preset: str) -> None:
    imported = model_from_hf_config(FIXTURES / folder / "config.json")
    expected = load_model_preset(preset)
    for field in PERFORMANCE_FIELDS:
        assert getattr(imported, field) == getattr(expected, field), field


def write(tmp_path: Path, config: dict[str, object]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def bert_config() -> dict[str, object]:
    return json.loads((FIXTURES / "bert-base-uncased" / "config.json").read_text(encoding="utf-8"))


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    config = bert_config()
    del config["num_attention_heads"]
    with pytest.raises(ConfigImportError, match="missing required field 'num_attention_heads'"):
        model_from_hf_config(write(tmp_path, config))


def test_unsupported_architecture_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigImportError, match="unsupported architecture model_type='mamba'"):
        model_from_hf_config(write(tmp_path, {"model_type": "mamba", "hidden_size": 4096}))


def test_unknown_field_is_named(tmp_path: Path) -> None:
    config = bert_config() | {"num_experts": 8}
    with pytest.raises(ConfigImportError, match="unknown field.*num_experts"):
        model_from_hf_config(write(tmp_path, config))


def test_invalid_shape_is_reported_without_traceback_noise(tmp_path: Path) -> None:
    config = bert_config() | {"num_attention_heads": 7}
    with pytest.raises(ConfigImportError, match="does not divide d_model"):
        model_from_hf_config(write(tmp_path, config))


def test_gpt2_n_inner_null_means_four_times_d_model(tmp_path: Path) -> None:
    config = json.loads((FIXTURES / "gpt2" / "config.json").read_text(encoding="utf-8")) | {"n_inner": None}
    assert model_from_hf_config(write(tmp_path, config)).d_ff == 4 * 768


def test_gated_t5_activation(tmp_path: Path) -> None:
    config = {"model_type": "t5", "d_model": 512, "num_heads": 8, "d_kv": 64, "d_ff": 1024, "num_layers": 8,
              "num_decoder_layers": 8, "feed_forward_proj": "gated-gelu", "vocab_size": 32128,
              "dropout_rate": 0.1, "layer_norm_epsilon": 1e-6}
    spec = model_from_hf_config(write(tmp_path, config))
    summary = (spec.family, spec.ffn_kind, spec.activation, spec.max_positions)
    assert summary == ("encoder-decoder", "gated", "gelu", 512)


def test_unreadable_and_invalid_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigImportError, match="cannot read"):
        model_from_hf_config(tmp_path / "absent.json")
    bad = tmp_path / "config.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigImportError, match="not valid JSON"):
        model_from_hf_config(bad)


def test_llama_head_dim_must_match(tmp_path: Path) -> None:
    config = json.loads((FIXTURES / "llama-2-7b-hf" / "config.json").read_text(encoding="utf-8"))
    assert model_from_hf_config(write(tmp_path, config | {"head_dim": 128})).head_dim == 128
    with pytest.raises(ConfigImportError, match="unsupported head size 256"):
        model_from_hf_config(write(tmp_path, config | {"head_dim": 256}))


def test_regularisation_suffixes_are_ignored(tmp_path: Path) -> None:
    config = bert_config() | {"embedding_dropout": 0.1, "mask_token_id": 103}
    assert model_from_hf_config(write(tmp_path, config)).d_model == 768
