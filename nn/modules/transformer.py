"""nn: modules/transformer (being written)."""

__all__: list[str] = []
