"""What finance_match does, one module per use case.

needs (posting, matching, responses, transitions), pairings (paired banks), feed (what banks pull),
views (what each caller sees), stats, projection (enterprises from registry and eligibility events),
jobs (webhook worker, deadline loop), demo (embedded demo data).
"""
