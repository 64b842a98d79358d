"""smartcity: a city government as a platform."""

__version__ = "0.1.0"
