"""``/admin/insights``: the learning loop made visible. Questions, refusals and low-confidence
answers per day, the HLS principles questions touch (charts with the same data as tables),
the clusters the corpus answers poorly, and down-voted answers with their comments; over a
period the curator chooses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from hlsguide.admin.auth import SignedInDep, store_of
from hlsguide.admin.charts import bar_chart, line_chart
from hlsguide.admin.templating import page
from hlsguide.bootstrap.deps import get_services
from hlsguide.insights.report import build_report, parse_since
from hlsguide.insights.timeline import daily_counts
from hlsguide.retrieval.service import IndexNotReadyError
from hlsguide.storage.answer_log import answers_since

router = APIRouter(prefix="/admin/insights")
PERIODS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "all": "All time"}
Period = Literal["7d", "30d", "90d", "all"]
EXCLUDED_CHANNELS = ("faq",)  # batch runs are curators' questions, as in `hlsguide insights`


def _insights(request: Request, period: str) -> dict:
    retrieval = get_services(request).retrieval
    store = store_of(request)
    since = None if period == "all" else parse_since(period)
    try:
        documents = retrieval.snapshot().documents
    except IndexNotReadyError:
        documents = None
    report = build_report(
        store,
        retrieval.embedder,
        since=since,
        documents=documents,
        exclude_channels=EXCLUDED_CHANNELS,
    )
    rows = [r for r in answers_since(store, since) if r.channel not in EXCLUDED_CHANNELS]
    days = daily_counts(rows, report.below, since, datetime.now(UTC))
    span = PERIODS[period].lower()
    labels = [f"{d.day:%d %b}" for d in days]
    timeline = line_chart(
        "chart-days",
        "Questions per day",
        f"Questions asked each day ({span}): {report.answers} in all, {report.refused} refused "
        f"and {report.low_confidence} answered with confidence below {report.below}.",
        labels,
        {
            "Asked": [d.asked for d in days],
            "Refused": [d.refused for d in days],
            "Low confidence": [d.low_confidence for d in days],
        },
    )
    principles = [t for t in report.topics if t.kind == "principle"][:10]
    principle_chart = None
    if principles:
        top = ", ".join(f"{t.name} ({t.count})" for t in principles[:3])
        principle_chart = bar_chart(
            "chart-principles",
            "HLS principles the questions touch",
            f"How many questions ({span}) touched each HLS principle, most first: {top}.",
            [t.name for t in principles],
            [t.count for t in principles],
        )
    return {
        "report": report,
        "days": days,
        "timeline": timeline,
        "principles": principles,
        "principle_chart": principle_chart,
        "topics": [t for t in report.topics if t.kind != "principle"],
    }


@router.get("", include_in_schema=False)
async def insights(request: Request, _: SignedInDep, period: Period = "30d"):
    """Charts and tables of what people asked and how well the guide answered."""
    data = await run_in_threadpool(_insights, request, period)
    return page(request, "insights.html", period=period, periods=PERIODS, **data)
