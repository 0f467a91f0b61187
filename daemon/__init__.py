"""Vigientreprise: self-hosted SMS alert gateway for the gendarmerie's business alert scheme."""

__version__ = "0.1.0"
