"""chatbot's request and response bodies."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartcity.modules.chatbot.links import is_allowed


class AskIn(BaseModel):
    """A question."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=2000)


class SuggestionOut(BaseModel):
    """An item offered instead of an answer."""

    item_id: str
    source_id: str | None
    question: str


class AskOut(BaseModel):
    """The answer: the same fields as `smartcity chatbot ask --json`, plus the text."""

    question: str
    answered: bool
    item_id: str | None
    source_id: str | None
    confidence: float
    suggestions: list[SuggestionOut]
    outcome: str
    message: str
    question_id: str | None
    links: list[dict[str, str]] = []
    department_name: str = ""
    intent: str | None = None
    """The platform need answered from the platform's records (`my_bills`, `air_quality` …)."""
    needs_citizen: bool = False
    """A personal need asked by someone not signed in: they are asked to sign in first."""


class FeedbackIn(BaseModel):
    """A verdict on an answer."""

    model_config = ConfigDict(extra="forbid")
    question_id: str = Field(min_length=1, max_length=64)
    verdict: Literal["helpful", "unhelpful"]


class LinkIn(BaseModel):
    """A link in an answer."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field("", max_length=200)
    url: str = Field(min_length=1, max_length=500)

    @field_validator("url")
    @classmethod
    def _scheme(cls, url: str) -> str:
        if not is_allowed(url):
            raise ValueError("only https, http, tel and mailto links are allowed")
        return url


class ItemIn(BaseModel):
    """A new knowledge-base item."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(min_length=1, max_length=20000)
    department_code: str | None = Field(None, max_length=32)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    links: list[LinkIn] = Field(default_factory=list, max_length=20)
    variants: list[str] = Field(default_factory=list, max_length=100)
    source_id: str | None = Field(None, max_length=64)
    valid_from: date | None = None
    valid_until: date | None = None


class ItemPatch(BaseModel):
    """Changes to an item."""

    model_config = ConfigDict(extra="forbid")
    question: str | None = Field(None, min_length=1, max_length=500)
    answer: str | None = Field(None, min_length=1, max_length=20000)
    department_code: str | None = Field(None, max_length=32)
    keywords: list[str] | None = Field(None, max_length=20)
    links: list[LinkIn] | None = Field(None, max_length=20)
    valid_from: date | None = None
    valid_until: date | None = None
    status: Literal["active", "retired"] | None = None


class VariantIn(BaseModel):
    """A citizen's phrasing of an item's question."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500)


class ResolveIn(BaseModel):
    """Attach a logged question to an item (item id or source id)."""

    model_config = ConfigDict(extra="forbid")
    item: str = Field(min_length=1, max_length=64)


class ItemOut(BaseModel):
    """A knowledge-base item."""

    item_id: str
    source_id: str | None
    question: str
    answer: str
    department_code: str | None
    department_name: str
    keywords: list[str]
    links: list[dict[str, str]]
    variants: list[str]
    valid_from: date | None
    valid_until: date | None
    posted_from: date | None = Field(
        description="The source site's posting window (reference only)"
    )
    posted_until: date | None
    status: str
    version: int


class VersionOut(BaseModel):
    """One version of an item."""

    version: int
    changed_by: str
    changed_at: str
    snapshot: dict[str, object]


class ClusterOut(BaseModel):
    """Similar open questions."""

    department_code: str
    label: str
    size: int
    questions: list[dict[str, str]]


class DepartmentMetricsOut(BaseModel):
    """One department's figures."""

    department_code: str
    questions: int
    answered: int
    suggested: int
    declined: int
    answer_rate: float
    helpful_rate: float | None


class MetricsOut(BaseModel):
    """The learning loop's figures."""

    days: int
    overall: DepartmentMetricsOut
    departments: list[DepartmentMetricsOut]
    top_unanswered: list[ClusterOut]
    items: int
    kb_version: int


class WebhookOut(BaseModel):
    """What the webhook took in."""

    processed: int
