"""Rows for the recurrent layers (one op per layer and direction: RNNLayer, GRULayer, LSTMLayer), called as a user
calls them: ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` through ``func.functional_call`` with the row's tensors as the
parameters. Batches of 16 or more are split across threads (the "rnn" threshold of ``autograd.threads.THRESHOLDS``):
the ``big`` cases.
The sizes are small because gradgradcheck differentiates a replay of the recurrence; deeper and reversed LSTM
configurations are compared with PyTorch in tests/nn/test_rnn.py."""

from . import OpSpec

T, B, BIG, N_IN, H = 2, 2, 16, 2, 3
_MODULES: dict = {}


def _module(lib, cls: str, kw: dict):
    key = (lib.__name__, cls, tuple(sorted(kw.items())))
    if key not in _MODULES:
        if lib.__name__ == "torch":
            _MODULES[key] = getattr(lib.nn, cls)(N_IN, H, **kw)
        else:
            import nn

            _MODULES[key] = getattr(nn, cls)(N_IN, H, **kw)
    return _MODULES[key]


def _param_names(gates: int, kw: dict) -> list[str]:
    names = []
    for d in ("", "_reverse")[: 2 if kw.get("bidirectional") else 1]:
        names += [f"weight_ih_l0{d}", f"weight_hh_l0{d}", f"bias_ih_l0{d}", f"bias_hh_l0{d}"]
        names += [f"weight_hr_l0{d}"] if kw.get("proj_size") else []
    return names


def recurrent(cls: str, gates: int, n_state: int, **kw):
    """fn(lib, x, *states, *parameters) -> (output, *final states)."""
    names = _param_names(gates, kw)

    def fn(lib, x, *rest):
        states, params = rest[:n_state], rest[n_state:]
        mod = _module(lib, cls, kw)
        out, h = lib.func.functional_call(mod, dict(zip(names, params)), (x, states if n_state > 1 else states[0]))
        return (out, *h) if isinstance(h, tuple) else (out, h)

    return fn


def shapes(gates: int, batch: int, batch_first=False, bidirectional=False, proj=0, n_state=1):
    d = 2 if bidirectional else 1
    out_h = proj or H
    x = (batch, T, N_IN) if batch_first else (T, batch, N_IN)
    states = [(d, batch, out_h)] + [(d, batch, H)] * (n_state - 1)
    one = [(gates * H, N_IN), (gates * H, out_h), (gates * H,), (gates * H,)] + ([(proj, H)] if proj else [])
    return tuple([x] + states + one * d)


def _row(name, cls, gates, n_state=1, **kw):
    geometry = dict(batch_first=kw.get("batch_first", False), bidirectional=kw.get("bidirectional", False),
                    proj=kw.get("proj_size", 0), n_state=n_state)
    return OpSpec(name, recurrent(cls, gates, n_state, **kw), [shapes(gates, B, **geometry)], low=-1, high=1,
                  big=[shapes(gates, BIG, **geometry)])


SPECS = [
    _row("rnn_tanh", "RNN", 1),
    _row("rnn_relu_batch_first", "RNN", 1, nonlinearity="relu", batch_first=True),
    _row("rnn_bidirectional", "RNN", 1, bidirectional=True),
    _row("gru", "GRU", 3),
    _row("gru_bidirectional_batch_first", "GRU", 3, bidirectional=True, batch_first=True),
    _row("lstm", "LSTM", 4, n_state=2),
    _row("lstm_proj_batch_first", "LSTM", 4, n_state=2, proj_size=2, batch_first=True),
]
