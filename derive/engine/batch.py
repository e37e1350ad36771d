"""Several samples: one derivation per sample at the same parameters; the batch's loss is the
mean of the samples' losses (PyTorch's reduction="mean" over samples) and its gradient the mean
of their gradients. One sample is a batch of one, with the same numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.derivation import Derivation, derive, forward_loss
from derive.engine.exact import exact_context, round_places
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
    def places(self) -> int | None:
        """None: exact; else the samples were worked by hand to this many decimals, and
        the means are rounded as a student rounds them."""
        return self.samples[0].places

    @property
    def loss(self) -> Decimal:
        return self._mean([d.loss for d in self.samples])

    @property
    def gradients(self) -> dict[str, Decimal]:
        return {
            p: self._mean([d.gradients[p].value for d in self.samples]) for p in self.network.params
        }

    def loss_at(self, params: Mapping[str, Decimal]) -> Decimal:
        """The batch's loss at other parameters (after a step)."""
        return self._mean([forward_loss(d, params) for d in self.samples])

    def _mean(self, values: list[Decimal]) -> Decimal:
        """The mean, rounded like the samples; of one sample, its own number as it is."""
        if len(values) == 1:
            return values[0]
        with exact_context():
            mean = sum(values, Decimal(0)) / len(values)
        return mean if self.places is None else round_places(mean, self.places)


def sample_network(network: Network, index: int) -> Network:
    """The network with sample `index`'s inputs and targets given."""
    if not network.samples:
        return network
    return dataclasses.replace(network, given={**network.given, **network.samples[index]})


def derive_batch(network: Network, places: int | None = None) -> Batch:
    """A derivation per sample, at the network's given parameters (`places`: by hand)."""
    count = max(1, len(network.samples))
    return Batch(tuple(derive(sample_network(network, s), places) for s in range(count)))
