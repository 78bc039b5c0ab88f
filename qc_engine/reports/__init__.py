"""Reports: the weekly QC report (weekly.py) in three forms (JSON, HTML, Excel), stored and
generated on schedule by the service (store.py, schedule.py)."""
