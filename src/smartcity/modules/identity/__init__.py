"""identity: the digital citizen ID — people, organisations, credentials, bindings, sign-in."""

from smartcity.modules.identity.manifest import manifest

__all__ = ["manifest"]
