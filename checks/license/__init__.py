"""FlexLM license files: lossless parser, model, dates and lint rules."""
from .dates import FlexDate, parse_date
from .model import Entry, FeatureLine, LicenseFile, PhysLine, Problem, ServerLine, Token, VendorLine
from .parser import parse_license, parse_license_file

__all__ = [
    "Entry", "FeatureLine", "FlexDate", "LicenseFile", "PhysLine", "Problem", "ServerLine", "Token",
    "VendorLine", "parse_date", "parse_license", "parse_license_file",
]
