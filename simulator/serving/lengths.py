"""Prompt and output length distributions of an arrival-driven run: fixed, uniform, or an empirical table (lengths
with their weights, e.g. a histogram of a production trace). Typed so an API body or a CLI flag validates them."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_TOKENS = 1 << 20


class FixedLength(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["fixed"] = "fixed"
    tokens: int = Field(ge=0, le=MAX_TOKENS)

    @property
    def longest(self) -> int:
        return self.tokens

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return np.full(count, self.tokens, dtype=np.int64)


class UniformLength(BaseModel):
    """Uniform over the integers low..high (both included)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["uniform"] = "uniform"
    low: int = Field(ge=0, le=MAX_TOKENS)
    high: int = Field(ge=0, le=MAX_TOKENS)

    @model_validator(mode="after")
    def _ordered(self) -> UniformLength:
        if self.high < self.low:
            raise ValueError(f"uniform lengths: high ({self.high}) is below low ({self.low})")
        return self

    @property
    def longest(self) -> int:
        return self.high

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.integers(self.low, self.high + 1, size=count, dtype=np.int64)


class EmpiricalLength(BaseModel):
    """Lengths drawn from a table: each of `tokens` with probability proportional to its weight (equal without)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["empirical"] = "empirical"
    tokens: list[Annotated[int, Field(ge=0, le=MAX_TOKENS)]] = Field(min_length=1, max_length=100_000)
    weights: list[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _weighted(self) -> EmpiricalLength:
        if self.weights is not None and len(self.weights) != len(self.tokens):
            raise ValueError(f"empirical lengths: {len(self.weights)} weights for {len(self.tokens)} lengths")
        if self.weights is not None and not sum(self.weights) > 0:
            raise ValueError("empirical lengths: the weights sum to zero")
        return self

    @property
    def longest(self) -> int:
        return max(self.tokens)

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        p = None if self.weights is None else np.asarray(self.weights) / sum(self.weights)
        return rng.choice(np.asarray(self.tokens, dtype=np.int64), size=count, p=p)


LengthDistribution = Annotated[FixedLength | UniformLength | EmpiricalLength, Field(discriminator="kind")]
