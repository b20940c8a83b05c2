"""nn: modules/attention (being written)."""

__all__: list[str] = []
