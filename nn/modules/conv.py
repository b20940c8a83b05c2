"""nn: modules/conv (being written)."""

__all__: list[str] = []
