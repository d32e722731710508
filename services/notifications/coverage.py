"""Coverage per prefecture and overall, from the service's own tables."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from services.notifications.domain.coverage import TARGET, CoverageCount, is_srdi
from services.notifications.persistence.tables import Assignment, EnterpriseView, ServiceRecord
from shared.uow import UnitOfWork


async def coverage(
    uow: UnitOfWork, prefecture: str | None, start: date, end: date, today: date, quarter: str
) -> dict[str, object]:
    views = select(EnterpriseView.uscc, EnterpriseView.prefecture_code, EnterpriseView.recognitions)
    assigned = select(Assignment.uscc).where(col(Assignment.ended_at).is_(None))
    served = select(ServiceRecord.uscc).where(
        col(ServiceRecord.served_on) >= start, col(ServiceRecord.served_on) <= end
    )
    if prefecture:
        views = views.where(EnterpriseView.prefecture_code == prefecture)
        assigned = assigned.where(Assignment.prefecture_code == prefecture)
        served = served.where(ServiceRecord.prefecture_code == prefecture)
    with_officer = set((await uow.session.execute(assigned)).scalars())
    served_set = set((await uow.session.execute(served)).scalars())
    overall = CoverageCount()
    by_prefecture: dict[str, CoverageCount] = {}
    for uscc, code, recognitions in (await uow.session.execute(views)).all():
        if not is_srdi(recognitions or [], today):
            continue
        for count in (overall, by_prefecture.setdefault(code, CoverageCount())):
            count.srdi_enterprises += 1
            if uscc in with_officer:
                count.with_officer += 1
                if uscc in served_set:
                    count.served_last_quarter += 1
    return {
        "target": str(TARGET),
        "quarter": quarter,
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "overall": overall.as_dict(),
        "prefectures": [{"prefecture_code": code} | count.as_dict() for code, count in sorted(by_prefecture.items())],
    }
