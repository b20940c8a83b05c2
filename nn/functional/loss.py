"""nn: functional/loss (being written)."""

__all__: list[str] = []
