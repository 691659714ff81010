"""Neural-network building blocks; ``gradwork.nn.functional`` holds the stateless ops."""

from gradwork.nn import functional  # noqa: F401
