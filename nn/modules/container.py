"""nn: modules/container (being written)."""

__all__: list[str] = []
