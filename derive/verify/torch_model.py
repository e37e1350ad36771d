"""The same network in PyTorch float64, built from the layer layout alone (not from SymPy).

Parameters travel as one flat vector θ (w1..wN, b1..bM); each layer gathers its weight matrix
and biases from θ by index, so shared biases are one entry used several times and autograd
adds up their uses by itself. A batch of θ rows evaluates many perturbed networks at once,
which is how finite differences stay fast. Activations and losses are PyTorch's own functions,
as the table of operations names them (losses from the logits where PyTorch has that route).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from derive.engine.losses import LOSSES
from derive.engine.network import Network
from derive.engine.operations import ACTIVATIONS

DTYPE = torch.float64
ROWS_AT_ONCE = 16384  # moved rows through the layers at once: a few MB each


@contextmanager
def single_thread() -> Iterator[None]:
    """Tensors this small run 50× slower when torch splits them over threads (measured)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@dataclass(frozen=True)
class Forward:
    loss: torch.Tensor  # (B,)
    pre: list[torch.Tensor]  # z of each non-input layer, (B, n)
    post: list[torch.Tensor]  # a of each non-input layer, (B, n)


class TorchNetwork:
    def __init__(self, network: Network) -> None:
        spec = network.spec
        self.network = network
        self.names = network.params
        index = {name: i for i, name in enumerate(self.names)}
        self.weight_index = []
        self.bias_index = []
        for layer in network.layers:
            grid = [[index[w] for _, w in n.terms] for n in layer]  # (n_out, n_in)
            self.weight_index.append(torch.tensor(grid).T.contiguous())
            biases = [index[n.bias] for n in layer if n.bias]
            self.bias_index.append(torch.tensor(biases) if biases else None)
        self.activations = []
        for name in spec.activations:
            entry = ACTIVATIONS[name]
            settings = {key: float(spec.settings[key]) for key in entry.settings}
            self.activations.append((entry.torch, settings))
        self.loss = LOSSES[spec.loss].torch
        given = network.given  # this sample's inputs and targets (derive.engine.batch)
        self.x = torch.tensor([float(given[x]) for x in network.inputs], dtype=DTYPE)
        self.y = torch.tensor([float(given[y]) for y in network.targets], dtype=DTYPE)
        self.theta = torch.tensor([float(network.given[p]) for p in self.names], dtype=DTYPE)
        self._layer_of = torch.zeros(len(self.names), dtype=torch.long)  # where each enters
        for l, (w_index, b_index) in enumerate(zip(self.weight_index, self.bias_index)):
            self._layer_of[w_index.reshape(-1)] = l
            if b_index is not None:
                self._layer_of[b_index] = l

    def forward(self, theta: torch.Tensor) -> Forward:
        """Evaluate every row of θ (B, P) as one network."""
        a = self.x.expand(theta.shape[0], -1)
        pre, post = [], []
        for (w_index, b_index), (function, settings) in zip(
            zip(self.weight_index, self.bias_index), self.activations
        ):
            z = torch.einsum("bi,bij->bj", a, theta[:, w_index])
            if b_index is not None:
                z = z + theta[:, b_index]
            a = function(torch, z, **settings)
            pre.append(z)
            post.append(a)
        y = self.y.expand_as(a)
        return Forward(self.loss(torch, a, pre[-1], y), pre, post)

    def moved_losses(
        self, params: torch.Tensor, deltas: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """C with one parameter moved per row (θ + δ·e_p for each pair of `params`, `deltas`),
        and whether a unit at a kink (ReLU) changed side. A parameter enters one layer only, so
        a row starts from the unmoved network's z of that layer, moved by δ times the values the
        parameter multiplies there (1 for a bias, every use of a shared one added), and goes on
        with the unmoved weights: a row costs one layer's width, not the whole θ (finite
        differences of 4,096 parameters: 114,688 rows)."""
        with torch.no_grad(), single_thread():
            base = self.forward(self.theta.unsqueeze(0))
            loss = torch.empty(len(params), dtype=DTYPE)
            crossed = torch.zeros(len(params), dtype=torch.bool)
            layer_of = self._layer_of[params]
            for start in range(len(self.weight_index)):
                direction = self._direction(start, base)
                for rows in (layer_of == start).nonzero().squeeze(-1).split(ROWS_AT_ONCE):
                    moved = direction[params[rows]] * deltas[rows, None]
                    loss[rows], crossed[rows] = self._onwards(start, base, base.pre[start] + moved)
        return loss, crossed

    def _direction(self, layer: int, base: Forward) -> torch.Tensor:
        """(P, n): how each parameter moves this layer's z per unit of its own change."""
        w_index, b_index = self.weight_index[layer], self.bias_index[layer]
        a = self.x if layer == 0 else base.post[layer - 1][0]
        direction = torch.zeros((len(self.names), w_index.shape[1]), dtype=DTYPE)
        columns = torch.arange(w_index.shape[1])
        values = a[:, None].expand_as(w_index)
        direction.index_put_((w_index, columns.expand_as(w_index)), values, accumulate=True)
        if b_index is not None:
            ones = torch.ones(len(b_index), dtype=DTYPE)
            direction.index_put_((b_index, columns[: len(b_index)]), ones, accumulate=True)
        return direction

    def _onwards(
        self, layer: int, base: Forward, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss of rows whose z at `layer` is given, the later layers' weights unmoved, and
        whether a kinked unit's sign differs from the unmoved network's there or after."""
        crossed = torch.zeros(len(z), dtype=torch.bool)
        last = len(self.weight_index) - 1
        for l in range(layer, last + 1):
            function, settings = self.activations[l]
            a = function(torch, z, **settings)
            if ACTIVATIONS[self.network.spec.activations[l]].kink:
                crossed |= ((z > 0) != (base.pre[l] > 0)).any(-1)
            if l < last:
                z = a @ self.theta[self.weight_index[l + 1]]
                if self.bias_index[l + 1] is not None:
                    z = z + self.theta[self.bias_index[l + 1]]
        return self.loss(torch, a, z, self.y.expand_as(a)), crossed

    def autograd(self) -> tuple[Forward, torch.Tensor]:
        """The forward pass at the example's values and ∂C/∂θ by autograd."""
        theta = self.theta.clone().unsqueeze(0).requires_grad_(True)
        with single_thread():
            result = self.forward(theta)
            result.loss.sum().backward()
        detached = Forward(
            result.loss.detach(),
            [z.detach() for z in result.pre],
            [a.detach() for a in result.post],
        )
        return detached, theta.grad[0]

    def loss_at(self, theta: torch.Tensor) -> float:
        """C at other parameters."""
        with torch.no_grad(), single_thread():
            return float(self.forward(theta.unsqueeze(0)).loss[0])

    def sgd_step(self, learning_rate: float) -> torch.Tensor:
        """θ after one step of torch.optim's SGD on the example's loss: the functional step
        torch.optim.SGD.step runs (constructing the class imports TorchDynamo, half a second)."""
        from torch.optim.sgd import sgd

        theta = self.theta.clone().requires_grad_(True)
        with single_thread():
            self.forward(theta.unsqueeze(0)).loss.sum().backward()
            stepped = theta.detach().clone()
            sgd(
                [stepped],
                [theta.grad],
                [None],
                foreach=False,
                weight_decay=0.0,
                momentum=0.0,
                lr=learning_rate,
                dampening=0.0,
                nesterov=False,
                maximize=False,
            )
        return stepped
