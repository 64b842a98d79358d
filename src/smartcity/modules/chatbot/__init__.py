"""chatbot: citizen Q&A in Traditional Chinese over LINE and the web, learning from misses."""

from smartcity.modules.chatbot.manifest import manifest

__all__ = ["manifest"]
