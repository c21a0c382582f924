"""Debian's chromium as the browser tests launch it (never a downloaded browser)."""

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium's own connections are refused on this
# machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE_ID_JS = "(document.querySelector('#sample-id textarea, #sample-id input')?.value ?? '')"
