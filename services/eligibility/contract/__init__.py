"""The public evaluate contract (/work/shared/reference/evaluate-contract.md) by job: value types
(`values.py`), the request (`request.py`), the response (`response.py`), profile → facts (`to_facts.py`)."""
