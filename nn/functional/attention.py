"""nn: functional/attention (being written)."""

__all__: list[str] = []
