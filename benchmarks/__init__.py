"""The benchmark suite (GitHub issue 7): ``python -m benchmarks [--quick] [--only ...]``.

One module per workload family; each defines the same workload for every installed engine (ours, PyTorch,
micrograd, tinygrad, JAX, numpy where it is the yardstick) and times them with ``benchmarks.harness``.
``benchmarks.__main__`` runs them and writes the Markdown table and the JSON file (``benchmarks.report``).
"""
