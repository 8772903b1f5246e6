"""kjob: kubectl for Kubernetes Jobs, with no cluster."""

__version__ = "0.1.0"
