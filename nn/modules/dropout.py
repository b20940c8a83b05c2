"""nn: modules/dropout (being written)."""

__all__: list[str] = []
