"""Eligibility settings (env prefix SRDI_)."""

from datetime import date

from shared.config import ServiceSettings


class EligibilitySettings(ServiceSettings):
    # The year assessments are made for ("last year" = this − 1). Default: the current year.
    eligibility_assessment_year: int | None = None
    eligibility_history_limit: int = 100
    # A consumer batch with at least this many registry snapshots is decided on the vectorised path
    # (its assessments explained on first read); smaller batches on the scalar path.
    eligibility_vectorised_batch_min: int = 4

    @property
    def assessment_year(self) -> int:
        return self.eligibility_assessment_year or date.today().year
