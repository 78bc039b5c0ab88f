"""Service layer: storing and inspecting transcripts, work items, reviews, appeals, users,
stored checklists, the weekly report's figures, stored reports and their scheduled runs.
Keyword-only functions over a SQLAlchemy session; the API and the reports call these and
never storage itself."""
