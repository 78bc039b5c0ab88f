"""Service layer: storing and inspecting transcripts, work items, reviews, appeals, users,
stored checklists. Keyword-only functions over a SQLAlchemy session; the API calls these
and nothing else."""
