"""livinglab: the proof-of-concept pipeline — challenges, proposals, matching, pilots, KPIs."""

from smartcity.modules.livinglab.manifest import manifest

__all__ = ["manifest"]
