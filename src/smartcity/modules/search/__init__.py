"""search: one semantic search service — stored sentence embeddings fused with lexical scores."""

from smartcity.modules.search.manifest import manifest

__all__ = ["manifest"]
