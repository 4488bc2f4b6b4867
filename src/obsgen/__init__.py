"""obsgen: observability configuration-as-code compiler."""

__version__ = "0.1.0"
