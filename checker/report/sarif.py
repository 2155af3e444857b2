"""SARIF 2.1.0 for GitHub code scanning: one run, driver rules from the report, one result per finding.

Each result carries its rule id and index, level, message, file/line/column, a logical location
(the flow or system), related locations (a bound resource's plan or manifest line, the spec line
of a system an infrastructure flow leaves) and a partial fingerprint that survives line moves. Suppressed findings are
results with an accepted external suppression (exemption or baseline), so code scanning shows
them as dismissed; notices are `informational` results of level `none`, which fail nothing;
input errors are tool execution notifications.

The audit trail (DESIGN.md) is the invocation (command line, start time, success), the run's
artifacts (every input, exemptions and baseline file with its SHA-256) and the run's properties
(policy and rules digests).
"""

from __future__ import annotations

import json
import shlex
from pathlib import PurePosixPath
from urllib.parse import quote

from checker.findings import Finding, Report, RuleInfo, Suppression

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "notice": "none"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def render(report: Report, *, color: bool = False) -> str:
    findings = sorted(report.violations + report.suppressed + report.notices, key=Finding.sort_key)
    rules = _rules(report.rules, findings)
    index = {rule.id: i for i, rule in enumerate(rules)}
    audit = report.run or {}
    invocation: dict = {}
    if audit:
        invocation["commandLine"] = shlex.join(audit["command"])
        invocation["arguments"] = audit["command"][1:]
        invocation["startTimeUtc"] = audit["started_at"]
    invocation["executionSuccessful"] = not report.errors
    if report.errors:
        invocation["toolExecutionNotifications"] = [_notification(error) for error in report.errors]
    run = {
        # no informationUri: it is optional, and the project has no public home to point at yet
        "tool": {
            "driver": {
                "name": "dlc",
                "version": report.version,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        "invocations": [invocation],
        "artifacts": _artifacts(audit),
        "results": [_result(finding, index[finding.rule]) for finding in findings],
        "properties": {
            "asOf": report.as_of.isoformat(),
            "specs": report.specs,
            "notices": len(report.notices),
            **{
                key: audit[key]
                for key in ("policy", "rules", "exemptions", "baseline")
                if key in audit
            },
        },
    }
    if not run["artifacts"]:
        del run["artifacts"]
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _artifacts(audit: dict) -> list[dict]:
    """Every file the run read, with its SHA-256: inputs, exemptions, baseline."""
    files = [
        (entry, ["analysisTarget"], {"kind": entry["kind"]}) for entry in audit.get("inputs", ())
    ]
    files += [
        (entry, ["userSpecifiedConfiguration"], {"kind": "exemptions"})
        for entry in audit.get("exemptions", ())
    ]
    if audit.get("baseline"):
        files.append((audit["baseline"], ["userSpecifiedConfiguration"], {"kind": "baseline"}))
    artifacts = []
    for entry, roles, properties in files:
        artifact: dict = {"location": {"uri": _uri(entry["path"])}, "roles": roles}
        if entry["sha256"]:
            artifact["hashes"] = {"sha-256": entry["sha256"]}
        artifact["properties"] = properties
        artifacts.append(artifact)
    return artifacts


def _rules(declared: list[RuleInfo], findings: list[Finding]) -> list[RuleInfo]:
    """The report's rules by id, plus any rule a finding names that the report did not describe."""
    rules: dict[str, RuleInfo] = {}
    for rule in declared:
        rules.setdefault(rule.id, rule)
    for f in findings:
        rules.setdefault(
            f.rule,
            RuleInfo(f.rule, f.title, f.severity, f.category, f.title, f.references, f.remediation),
        )
    return [rules[rule_id] for rule_id in sorted(rules)]


def _rule(rule: RuleInfo) -> dict:
    references = "".join(f"\n- {ref}" for ref in rule.references)
    markdown_references = f"\n\n**References:**\n{references}" if references else ""
    return {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {
            "text": rule.remediation + (f"\n\nReferences:{references}" if references else ""),
            "markdown": f"**Remediation:** {rule.remediation}{markdown_references}",
        },
        "defaultConfiguration": {"level": LEVEL.get(rule.severity, "warning")},
        "properties": {
            "tags": ["security", rule.category],
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "0.0"),
        },
    }


def _result(finding: Finding, rule_index: int) -> dict:
    result: dict = {"ruleId": finding.rule, "ruleIndex": rule_index}
    if finding.severity == "notice":
        result["kind"] = "informational"
    result["level"] = LEVEL.get(finding.severity, "warning")
    result["message"] = {"text": finding.message or finding.title}
    location: dict = (
        {"physicalLocation": _physical(finding.file, finding.line, finding.column)}
        if finding.file
        else {}
    )
    location["logicalLocations"] = [
        {
            "kind": finding.subject_kind,
            "name": finding.subject_id,
            "fullyQualifiedName": f"{finding.subject_kind}/{finding.subject_id}",
        }
    ]
    result["locations"] = [location]
    if finding.related:  # the other side of a bound spec and its infrastructure
        result["relatedLocations"] = [
            {
                "id": index,
                **(
                    {"physicalLocation": _physical(place.file, place.line, place.column)}
                    if place.file
                    else {}
                ),
                "message": {"text": place.message},
            }
            for index, place in enumerate(finding.related)
        ]
    result["partialFingerprints"] = {"dlcFinding/v1": finding.fingerprint()}
    result["properties"] = {
        "severity": finding.severity,
        "dataset": finding.dataset,
        "path": list(finding.path),
    }
    if finding.suppression is not None:
        result["suppressions"] = [_suppression(finding.suppression)]
    return result


def _suppression(suppression: Suppression) -> dict:
    """Exemptions and baseline entries live outside the scanned file: `external`, already `accepted`."""
    properties = {"source": suppression.kind}
    if suppression.owner:
        properties["owner"] = suppression.owner
    if suppression.expires:
        properties["expires"] = suppression.expires.isoformat()
    return {
        "kind": "external",
        "status": "accepted",
        "justification": suppression.justification,
        "properties": properties,
    }


def _physical(file: str, line: int | None, column: int | None) -> dict:
    """The file as a URI and a region; code scanning needs a startLine, so an unknown line is line 1."""
    known = line is not None and line >= 1
    region = {"startLine": line if known else 1}
    if known and column is not None and column >= 1:
        region["startColumn"] = column
    return {"artifactLocation": {"uri": _uri(file)}, "region": region}


def _uri(file: str) -> str:
    posix = file.replace("\\", "/")
    return PurePosixPath(posix).as_uri() if posix.startswith("/") else quote(posix)


def _notification(error: dict) -> dict:
    notification: dict = {"level": "error", "message": {"text": error.get("message", "")}}
    if error.get("file"):
        notification["locations"] = [
            {"physicalLocation": _physical(error["file"], error.get("line"), error.get("column"))}
        ]
    return notification
