"""The same network in PyTorch float64, built from the layer layout alone (not from SymPy).

Parameters travel as one flat vector θ (w1..wN, b1..bM); each layer gathers its weight matrix
and biases from θ by index, so shared biases are one entry used several times and autograd
adds up their uses by itself. A batch of θ rows evaluates many perturbed networks at once,
which is how finite differences stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention

from derive.engine.network import Network

DTYPE = torch.float64

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=-1),
}


def _loss(name: str, out: torch.Tensor, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-row loss, as PyTorch's own losses define it (MSELoss is a mean, etc.)."""
    y = y.expand_as(out)
    if name == "mse":
        return F.mse_loss(out, y, reduction="none").mean(-1)
    if name == "half_sse":
        return 0.5 * ((y - out) ** 2).sum(-1)
    if name == "sse":
        return ((y - out) ** 2).sum(-1)
    if name == "bce":
        return F.binary_cross_entropy(out, y, reduction="none").mean(-1)
    if name == "cross_entropy":  # PyTorch's route: log-softmax of the logits z, not log(o)
        return F.cross_entropy(z, y, reduction="none")
    raise ValueError(f"no PyTorch loss for {name!r}")


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
        self.x = torch.tensor([float(v) for v in spec.inputs], dtype=DTYPE)
        self.y = torch.tensor([float(v) for v in spec.targets], dtype=DTYPE)
        self.theta = torch.tensor([float(network.given[p]) for p in self.names], dtype=DTYPE)

    def forward(self, theta: torch.Tensor) -> Forward:
        """Evaluate every row of θ (B, P) as one network."""
        spec = self.network.spec
        a = self.x.expand(theta.shape[0], -1)
        pre, post = [], []
        for l, (w_index, b_index) in enumerate(zip(self.weight_index, self.bias_index)):
            z = torch.einsum("bi,bij->bj", a, theta[:, w_index])
            if b_index is not None:
                z = z + theta[:, b_index]
            a = ACTIVATIONS[spec.activations[l]](z)
            pre.append(z)
            post.append(a)
        return Forward(_loss(spec.loss, a, pre[-1], self.y), pre, post)

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

    def finite_differences(
        self, step: float, chunk: int = 128
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Central differences (C(θ+h·e_k) − C(θ−h·e_k)) / 2h for every k, and for each k whether
        a ReLU changes side between θ−h·e_k and θ+h·e_k (a kink inside the step)."""
        relu_layers = [l for l, name in enumerate(self.network.spec.activations) if name == "relu"]
        size = len(self.theta)
        grads, kinks = [], []
        with torch.no_grad(), single_thread():
            for start in range(0, size, chunk):
                eye = torch.eye(size, dtype=DTYPE)[start : start + chunk]
                plus = self.forward(self.theta + step * eye)
                minus = self.forward(self.theta - step * eye)
                grads.append((plus.loss - minus.loss) / (2 * step))
                kink = torch.zeros(len(eye), dtype=torch.bool)
                for l in relu_layers:
                    kink |= ((plus.pre[l] > 0) != (minus.pre[l] > 0)).any(-1)
                kinks.append(kink)
        return torch.cat(grads), torch.cat(kinks)
