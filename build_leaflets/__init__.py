"""build_leaflets: publish printable, versioned patient-information leaflets from YAML."""

__version__ = "0.1.0"
