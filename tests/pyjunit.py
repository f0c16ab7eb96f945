#!/usr/bin/python3
"""pyjunit.py - read the --junit-xml files of CPython's `python3 -m test`.

    pyjunit.py bad FILE      test ids that failed or errored, one a line
    pyjunit.py count FILE    "RUN FAILED SKIPPED"

Used by tests/shim-cpython.sh.  Exit 2 with one line on bad input."""
import sys
import xml.etree.ElementTree as ET


def cases(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        sys.exit(f"pyjunit: {path}: {e}")
    for tc in root.iter("testcase"):
        tid = f"{tc.get('classname', '')}.{tc.get('name', '')}".strip(".")
        kinds = {child.tag for child in tc}
        if kinds & {"failure", "error"}:
            yield tid, "bad"
        elif "skipped" in kinds:
            yield tid, "skipped"
        else:
            yield tid, "ok"


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("bad", "count"):
        print("usage: pyjunit.py bad|count FILE", file=sys.stderr)
        return 2
    res = list(cases(sys.argv[2]))
    if sys.argv[1] == "bad":
        for tid, r in res:
            if r == "bad":
                print(tid)
    else:
        print(len(res), sum(r == "bad" for _, r in res), sum(r == "skipped" for _, r in res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
