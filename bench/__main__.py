from __future__ import annotations

from skill.tools.extras import report_missing_extra

try:
    from bench.run import main

    code = main()
except ModuleNotFoundError as exc:
    # The benchmarks run on the dev extra: one line and the install command.
    code = report_missing_extra("python -m bench", exc)
raise SystemExit(code)
