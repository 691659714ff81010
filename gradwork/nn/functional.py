"""Stateless neural-network functions, as ``torch.nn.functional``."""
