"""The design point a serving request names, resolved so that a model that generates no text is refused as such
(rather than by the scenario's complaint about prompt lengths an encoder does not take)."""

from __future__ import annotations

from simulator.design_point import Definitions, PointInputs, ResolvedPoint


def serving_point(inputs: PointInputs, definitions: Definitions) -> ResolvedPoint:
    probe = inputs.model_copy(update={"scenario": {"seq_len": 1}}).resolve(definitions)
    model = probe.workload.model
    if model.family != "decoder":
        raise ValueError(f"{model.name} is an {model.family} model: serving runs decoder models (ones that generate "
                         "tokens)")
    return inputs.resolve(definitions)
