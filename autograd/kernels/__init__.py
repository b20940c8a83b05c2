"""Numeric kernels: array in, array out. Nothing here knows about Tensors or autodiff.

Each kernel module offers a numpy reference and, where it pays, a Numba ``@njit(cache=True)`` version; the
public function of each kernel picks one by dtype and contiguity.
"""
