"""participation: i-Voting issues decided by Belenios elections anyone can verify."""

from smartcity.modules.participation.manifest import manifest

__all__ = ["manifest"]
