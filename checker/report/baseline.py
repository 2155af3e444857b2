"""The baseline file that `--write-baseline` writes (checker.load.rules.load_baseline reads it)."""

from __future__ import annotations

from checker.findings import Report


def baseline_document(report: Report) -> dict:
    """Every current violation (and those already baselined), so the file can be rewritten in place."""
    findings = [
        f
        for f in (*report.violations, *report.suppressed)
        if f.suppression is None or f.suppression.kind == "baseline"
    ]
    return {
        "version": 1,
        "tool": "dlc",
        "findings": sorted(
            (
                {
                    "fingerprint": f.fingerprint(),
                    "rule": f.rule,
                    "subject": f"{f.subject_kind}/{f.subject_id}",
                    "dataset": f.dataset,
                }
                for f in findings
            ),
            key=lambda entry: entry["fingerprint"],
        ),
    }
