"""nn.init: weight initialisation (being written)."""
