"""Reports: the weekly QC report in its forms (the JSON is built by service/weekly.py; HTML:
html.py and svg.py, Excel: excel.py), generated on schedule (schedule.py: what is due; the
runs' claims and the stored reports are service/report_runs.py and service/report_store.py),
and `qc report` (cli.py). Storage is reached only through the service."""
