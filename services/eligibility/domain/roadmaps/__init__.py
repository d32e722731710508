"""What an enterprise can do next: roadmaps (`roadmap.py`, from `rules/measures.yaml`) and seed banks
(`seedbank.py`, sized by `rules/yunnan_targets.yaml`); `catalogues.py` loads those two data files."""
