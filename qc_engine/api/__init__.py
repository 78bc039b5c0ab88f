"""The FastAPI service: thin routes over qc_engine's service layer."""
