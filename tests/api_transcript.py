"""Turn the journey test's transcript into the curl walk-through of docs/API.md.

    L2C_API_TRANSCRIPT=/tmp/t.json pytest "tests/test_api_journey.py::test_whole_cycle_through_the_api_only[sqlite]"
    python -m tests.api_transcript /tmp/t.json > docs/api_walkthrough.md

Responses are the ones the test saw (abridged: lists cut to their first two items);
only the calls the test titles are shown (the others repeat a step or check a figure).
"""

from __future__ import annotations

import json
import sys

BASE = "https://l2c.example.com"


def _abridge(value, depth: int = 0):
    if isinstance(value, list):
        cut = [_abridge(v, depth + 1) for v in value[:2]]
        return cut + ([f"… {len(value) - 2} more"] if len(value) > 2 else [])
    if isinstance(value, dict):
        return {k: _abridge(v, depth + 1) for k, v in value.items()}
    return value


def render(steps: list[dict]) -> str:
    out = []
    for n, step in enumerate([s for s in steps if s.get("title")], 1):  # the untitled calls are repeats or checks
        title = step["title"]
        out.append(f"### {n}. {title}\n")
        cmd = [f"curl -X {step['method']} {BASE}{step['path']}", '  -H "Authorization: Bearer $L2C_KEY"']
        for name, value in (step.get("headers") or {}).items():
            cmd.append(f'  -H "{name}: {value}"')
        if step.get("body") is not None:
            cmd.append('  -H "Content-Type: application/json"')
            cmd.append(f"  -d '{json.dumps(step['body'])}'")
        out.append("```sh\n" + " \\\n".join(cmd) + "\n```\n")
        body = json.dumps(_abridge(step["response"]), indent=2, ensure_ascii=False)
        out.append(f"→ `{step['status']}`\n\n```json\n{body}\n```\n")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(json.load(open(sys.argv[1]))))
