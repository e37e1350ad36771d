"""Several samples: one derivation per sample at the same parameters; the batch's loss is the
mean of the samples' losses (PyTorch's reduction="mean" over samples) and its gradient the mean
of their gradients. One sample is a batch of one, with the same numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.derivation import Derivation, derive, forward_loss
from derive.engine.exact import exact_context
from derive.engine.network import Network


@dataclass(frozen=True)
class Batch:
    """Every sample's derivation, and their means."""

    samples: tuple[Derivation, ...]

    @property
    def network(self) -> Network:
        return self.samples[0].network

    @property
    def params(self) -> dict[str, Decimal]:
        return self.samples[0].params

    @property
    def loss(self) -> Decimal:
        return _mean([d.loss for d in self.samples])

    @property
    def gradients(self) -> dict[str, Decimal]:
        return {p: _mean([d.gradients[p].value for d in self.samples]) for p in self.network.params}

    def loss_at(self, params: Mapping[str, Decimal]) -> Decimal:
        """The batch's loss at other parameters (after a step)."""
        return _mean([forward_loss(d, params) for d in self.samples])


def _mean(values: list[Decimal]) -> Decimal:
    with exact_context():
        return sum(values, Decimal(0)) / len(values)


def sample_network(network: Network, index: int) -> Network:
    """The network with sample `index`'s inputs and targets given."""
    if not network.samples:
        return network
    return dataclasses.replace(network, given={**network.given, **network.samples[index]})


def derive_batch(network: Network) -> Batch:
    """A derivation per sample, at the network's given parameters."""
    count = max(1, len(network.samples))
    return Batch(tuple(derive(sample_network(network, s)) for s in range(count)))
