"""Each optimizer family's call of torch.optim's functional step, written against the
functional modules passed in (`optim.adam` is torch.optim.adam; as operations.py's PyTorch
functions take torch): the engine never imports torch, and an optimizer's entry
(engine/optimizers.py) still says how torch.optim takes its step.

A step works in place on θ (a float64 tensor), the state (derive's state names, torch's
tensors; "step" the step count as a tensor) and takes the settings converted to floats, the
learning rate as "lr" (read, never changed: the comparison passes the same dict to thousands
of steps). torch.optim's functional steps are what its classes' step() runs;
constructing a class would import TorchDynamo (a second)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Tensors = dict[str, Any]
Settings = dict[str, Any]
# (torch.optim, θ, gradient, state, settings) → None, θ and the state updated in place
TorchStep = Callable[[Any, Any, Any, Tensors, Settings], None]


def sgd(optim: Any, theta: Any, grad: Any, state: Tensors, h: Settings) -> None:
    """SGD, with momentum and Nesterov: the momentum buffer is torch's to create (None
    before the first step)."""
    buffers = [state.get("momentum_buffer") if state["step"] > 0 else None]
    optim.sgd.sgd([theta], [grad], buffers, foreach=False, maximize=False, **h)
    if h["momentum"]:
        state["momentum_buffer"] = buffers[0]
    state["step"] += 1


def adam(decoupled: bool) -> TorchStep:
    """Adam, or AdamW (decoupled weight decay): the betas as two arguments, the maximum of
    v only with amsgrad."""

    def step(optim: Any, theta: Any, grad: Any, state: Tensors, h: Settings) -> None:
        function = optim.adamw.adamw if decoupled else optim.adam.adam
        settings = dict(h)
        beta1, beta2 = settings.pop("betas")
        maxima = [state["max_exp_avg_sq"]] if settings["amsgrad"] else []
        moments = [state["exp_avg"]], [state["exp_avg_sq"]], maxima, [state["step"]]
        function([theta], [grad], *moments, foreach=False, beta1=beta1, beta2=beta2,
                 maximize=False, **settings)  # fmt: skip

    return step


def rmsprop(optim: Any, theta: Any, grad: Any, state: Tensors, h: Settings) -> None:
    """RMSprop: the average gradient only when centered, the buffer only with momentum."""
    averages = [state["grad_avg"]] if h["centered"] else []
    buffers = [state["momentum_buffer"]] if h["momentum"] else []
    optim.rmsprop.rmsprop([theta], [grad], [state["square_avg"]], averages, buffers,
                          [state["step"]], foreach=False, **h)  # fmt: skip


def adagrad(optim: Any, theta: Any, grad: Any, state: Tensors, h: Settings) -> None:
    """Adagrad: initial_accumulator_value is where its sum starts, not an argument."""
    settings = {k: v for k, v in h.items() if k != "initial_accumulator_value"}
    optim.adagrad.adagrad([theta], [grad], [state["sum"]], [state["step"]], foreach=False,
                          maximize=False, **settings)  # fmt: skip
