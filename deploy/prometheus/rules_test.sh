#!/usr/bin/env bash
# The shipped alerting rules parse, and each alert fires on the situation it
# is for (promtool test rules).
set -euo pipefail
dir=$(dirname "$0")
cd "$dir"
promtool check rules tocsin-rules.yml
promtool test rules tocsin-rules.test.yml
