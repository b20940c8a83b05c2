"""Layers, activations and losses as Modules, one family per file."""
