#!/usr/bin/env bash
# The Chromium the dashboard suite drives through playwright-core (nothing is downloaded): the file CHROMIUM_PATH
# names when it is set, else the `chromium` on the PATH, else Debian's /usr/bin/chromium. Prints its path, or fails
# with one line naming what is missing. scripts/ensure-test-tools.sh checks with it, and the suite launches what it
# prints (apps/server/test/Chromium.ts), so the two cannot disagree.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ -f "$CHROMIUM_PATH" ] && [ -x "$CHROMIUM_PATH" ]; then echo "$CHROMIUM_PATH"; exit 0; fi
  echo "CHROMIUM_PATH: \"$CHROMIUM_PATH\" is not an executable file (unset it to use the chromium on the PATH)" >&2
  exit 1
fi
found=$(command -v chromium || true)
if [ -n "$found" ]; then echo "$found"; exit 0; fi
if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; exit 0; fi
echo "Chromium not found: no chromium on the PATH nor /usr/bin/chromium (apt-get install -y chromium, or set CHROMIUM_PATH)" >&2
exit 1
