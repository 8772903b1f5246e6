#!/usr/bin/env bash
# The founding walkthrough (../shared/seed/jobs-walkthrough.ru.md), command by command, with kjob.
set -euo pipefail
cd "$(dirname "$0")/.."
show() { printf '\n> $ %s\n' "$*"; "$@"; }
show kjob create -f ./configs/jobs/job.yaml
show kjob get jobs
show kjob get pods
kjob wait --for=condition=complete job/job-count --timeout=60s >/dev/null
show kjob get jobs
show kjob get pods
show kjob describe jobs job-count
show kjob logs "$(kjob get pods -o name | head -1 | cut -d/ -f2)"
show kjob delete jobs job-count
