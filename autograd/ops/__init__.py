"""The ops: one family per module, each op a ``Function``/``Op`` with its forward and backward together."""
