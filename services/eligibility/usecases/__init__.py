"""What the eligibility service does, one module per use case.

assessments (snapshot → stored, announced results), projection (registry snapshot → facts),
reassessment (whole-register jobs on the batch path), seed_banks, evaluate (the public contract).
"""
