"""Recurrent layers, as ``torch.nn``: ``RNN``, ``LSTM``, ``GRU`` and the cells ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Constructor arguments, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), shapes, registration order,
initialisation (uniform(-1/sqrt(hidden), 1/sqrt(hidden))), input/state layouts and error messages are PyTorch's.
Each layer and direction is one op (``autograd.ops.rnn``): the time loop runs in one kernel call per layer, not as
one graph node per step. A ``PackedSequence`` input runs each sequence to its own length (``rnn_packed``).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import autograd
from autograd.ops.rnn import gru_layer, lstm_layer, rnn_layer
from autograd.tensor import Tensor

from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .rnn_packed import packed_forward

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _param(shape, dtype) -> Parameter:
    return Parameter(np.empty(shape, dtype=autograd.dtypes.as_dtype(dtype) if dtype is not None
                              else autograd.get_default_dtype()))


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, and the checks of their inputs."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                params = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for stem, shape in params:
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, _param(shape, dtype))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op, as PyTorch's on CPU (it packs weights for cuDNN)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- checks (PyTorch's messages) ----
    def check_input(self, input: Tensor) -> None:  # noqa: A002
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor) -> tuple[int, int, int]:  # noqa: A002
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.shape)))

    def _check_dims(self, input: Tensor, hx) -> bool:  # noqa: A002
        """Validate the input's rank; True when it is batched (3-D)."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: expected input to be a Tensor, got {type(input).__name__}"
                            " or a PackedSequence")
        if input.dim() not in (2, 3):
            kind = "tensor instead" if self.mode.startswith("RNN") else "instead"
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D {kind}")
        return input.dim() == 3

    # ---- the layers ----
    def _run(self, input: Tensor, h0s: list, c0s: list | None):  # noqa: A002
        """Run every layer and direction; returns output and the lists of final states."""
        num_directions = 2 if self.bidirectional else 1
        layer_input = input
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                ws = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                reverse = direction == 1
                if self.mode == "LSTM":
                    w_hr = ws[-1] if self.proj_size > 0 else None
                    out, h, c = lstm_layer(layer_input, h0s[k], c0s[k], w_ih, w_hh, b_ih, b_hh, w_hr,
                                           batch_first=self.batch_first, reverse=reverse)
                    cs.append(c)
                elif self.mode == "GRU":
                    out, h = gru_layer(layer_input, h0s[k], w_ih, w_hh, b_ih, b_hh, batch_first=self.batch_first,
                                       reverse=reverse)
                else:
                    out, h = rnn_layer(layer_input, h0s[k], w_ih, w_hh, b_ih, b_hh,
                                       nonlinearity="relu" if self.mode == "RNN_RELU" else "tanh",
                                       batch_first=self.batch_first, reverse=reverse)
                outs.append(out)
                hs.append(h)
            layer_input = outs[0] if num_directions == 1 else autograd.cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                from ..functional import dropout

                layer_input = dropout(layer_input, self.dropout, training=True)
        return layer_input, hs, cs

    def _initial_states(self, input: Tensor, hx, size: int) -> list:  # noqa: A002
        """One (B, size) state per layer and direction: zeros, or the slices of a given (L*D, B, size) hx."""
        n = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            batch = input.size(0) if self.batch_first else input.size(1)
            return [autograd.zeros(batch, size, dtype=input.dtype) for _ in range(n)]
        return [hx[k] for k in range(n)] if n > 1 else [hx[0]]


def _stack(states: list) -> Tensor:
    return states[0].unsqueeze(0) if len(states) == 1 else autograd.stack(states, 0)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked ``num_layers`` deep.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; ``forward(input, hx=None) -> (output, h_n)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        if isinstance(input, PackedSequence):
            return packed_forward(self, input, hx)
        is_batched = self._check_dims(input, hx)
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(
                        f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        self.check_input(input)
        if hx is not None:
            self.check_hidden_size(hx, self.get_expected_hidden_size(input))
        output, hs, _ = self._run(input, self._initial_states(input, hx, self.hidden_size), None)
        h_n = _stack(hs)
        if not is_batched:
            output = output.squeeze(batch_dim)
            h_n = h_n.squeeze(1)
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory: gates [i, f, g, o] = x W_ih^T + b_ih + h W_hh^T + b_hh; c' = s(f) c + s(i) tanh(g);
    h' = s(o) tanh(c') (projected by W_hr when ``proj_size > 0``).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False,
    proj_size=0)``; ``forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n))``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor) -> tuple[int, int, int]:  # noqa: A002
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, self.hidden_size)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):  # noqa: A002
        if isinstance(input, PackedSequence):
            return packed_forward(self, input, hx)
        is_batched = self._check_dims(input, hx)
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
            h0, c0 = hx
            if is_batched:
                if h0.dim() != 3 or c0.dim() != 3:
                    raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                       f"({h0.dim()}-D, {c0.dim()}-D) tensors")
            else:
                if h0.dim() != 2 or c0.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                       f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        self.check_input(input)
        if hx is not None:
            self.check_hidden_size(h0, self.get_expected_hidden_size(input), "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(c0, self.get_expected_cell_size(input), "Expected hidden[1] size {}, got {}")
        else:
            h0 = c0 = None
        h0s = self._initial_states(input, h0, real_hidden)
        c0s = self._initial_states(input, c0, self.hidden_size)
        output, hs, cs = self._run(input, h0s, c0s)
        h_n, c_n = _stack(hs), _stack(cs)
        if not is_batched:
            output = output.squeeze(batch_dim)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = s(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z});
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)); h' = (1 - z) n + z h.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False)``;
    ``forward(input, hx=None) -> (output, h_n)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    forward = RNN.forward


# ---------------------------------------------------------------- cells
class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (chunks*hidden, input), ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _param((num_chunks * hidden_size, input_size), dtype)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), dtype)
            self.bias_hh = _param((num_chunks * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input: Tensor, states) -> tuple[Tensor, bool]:  # noqa: A002
        """Validate shapes (PyTorch's messages); returns the 2-D input and whether it was batched."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for i, s in enumerate(states):
            if s is not None and s.dim() not in (1, 2):
                which = "hidden" if len(states) == 1 else f"hx[{i}]"
                raise ValueError(f"{name}: Expected {which} to be 1D or 2D, got {s.dim()}D instead")
        if input.size(-1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(-1)} expected {self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{name} input dtype ({input.dtype}) does not match weight dtype "
                             f"({self.weight_ih.dtype})")
        is_batched = input.dim() == 2
        return (input if is_batched else input.unsqueeze(0)), is_batched

    def _state(self, s, x: Tensor, is_batched: bool, i: int) -> Tensor:
        if s is None:
            return autograd.zeros(x.size(0), self.hidden_size, dtype=x.dtype)
        if not is_batched:
            s = s.unsqueeze(0)
        if s.size(0) != x.size(0):
            raise RuntimeError(f"Input batch size {x.size(0)} doesn't match hidden{i} batch size {s.size(0)}")
        if s.size(1) != self.hidden_size:
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.size(1)}, expected {self.hidden_size}")
        return s


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, is_batched = self._check(input, (hx,))
        h = self._state(hx, x, is_batched, 0)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        _, ret = rnn_layer(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                           nonlinearity=self.nonlinearity)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: (h', c') from x and (h, c); gates [i, f, g, o] as ``LSTM``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        h, c = (None, None) if hx is None else hx
        x, is_batched = self._check(input, (h, c))
        h = self._state(h, x, is_batched, 0)
        c = self._state(c, x, is_batched, 1)
        _, h1, c1 = lstm_layer(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h1, c1) if is_batched else (h1.squeeze(0), c1.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: h' from x and h; gates [r, z, n] as ``GRU``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, is_batched = self._check(input, (hx,))
        h = self._state(hx, x, is_batched, 0)
        _, ret = gru_layer(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)
