#!/usr/bin/env bash
# Runs the bundled action (dist/index.js) on this machine the way the Actions runner does:
# inputs as INPUT_* variables read from a dotenv-style file, the event as GITHUB_EVENT_NAME and
# GITHUB_EVENT_PATH, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY as temporary files that are printed
# when the run ends. The exit status is the action's. See docs/local-run.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/local-action.sh [options] ENV_FILE

ENV_FILE holds one NAME=value per line: INPUT_<NAME> for the action's inputs (the input name
upper-cased, hyphens kept: INPUT_CHART-PATH=helm), and any other variable the run needs
(GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, ...). Blank lines and lines starting with #
are ignored; `export ` before a name is allowed; a value in single quotes is taken literally, a
value in double quotes may use \n for a newline (multi-line inputs such as images).

Options:
  -e, --event NAME      GITHUB_EVENT_NAME (default: workflow_dispatch)
  -p, --payload FILE    the event payload JSON for GITHUB_EVENT_PATH (default: {})
  -n, --node PATH       the node binary (default: node on PATH)
      --entry FILE      the script to run (default: dist/index.js of this repository)
  -h, --help            this text
EOF
}

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
event_name="workflow_dispatch"
payload_file=""
node_binary="node"
entry="$project_root/dist/index.js"
env_file=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    -e | --event) event_name="${2:?$1 needs a value}"; shift 2 ;;
    -p | --payload) payload_file="${2:?$1 needs a value}"; shift 2 ;;
    -n | --node) node_binary="${2:?$1 needs a value}"; shift 2 ;;
    --entry) entry="${2:?$1 needs a value}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "local-action: unknown option $1" >&2; usage >&2; exit 2 ;;
    *)
      if [[ -n "$env_file" ]]; then
        echo "local-action: one ENV_FILE only (got $env_file and $1)" >&2
        exit 2
      fi
      env_file="$1"; shift ;;
  esac
done

if [[ -z "$env_file" ]]; then
  usage >&2
  exit 2
fi
if [[ ! -r "$env_file" ]]; then
  echo "local-action: cannot read $env_file" >&2
  exit 2
fi
if [[ ! -f "$entry" ]]; then
  echo "local-action: $entry does not exist; build it first with \`npm run bundle\`" >&2
  exit 2
fi
if [[ -n "$payload_file" && ! -r "$payload_file" ]]; then
  echo "local-action: cannot read the event payload $payload_file" >&2
  exit 2
fi

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/local-action.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT
output_file="$work_dir/output"
summary_file="$work_dir/summary.md"
event_file="$work_dir/event.json"
: >"$output_file"
: >"$summary_file"
if [[ -n "$payload_file" ]]; then cp "$payload_file" "$event_file"; else echo '{}' >"$event_file"; fi

# The file is parsed, never sourced: a value is data, not shell code. Assignments go to `env`,
# because input names keep their hyphens (INPUT_CHART-PATH), which no shell variable may hold.
assignments=()
line_number=0
while IFS= read -r line || [[ -n "$line" ]]; do
  line_number=$((line_number + 1))
  line="${line%$'\r'}"
  trimmed="${line#"${line%%[![:space:]]*}"}"
  [[ -z "$trimmed" || "$trimmed" == \#* ]] && continue
  trimmed="${trimmed#export }"
  if [[ ! "$trimmed" =~ ^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$ ]]; then
    echo "local-action: $env_file line $line_number is not NAME=value: $line" >&2
    exit 2
  fi
  name="${BASH_REMATCH[1]}"
  value="${BASH_REMATCH[2]}"
  if [[ "$value" =~ ^\'(.*)\'[[:space:]]*$ ]]; then
    value="${BASH_REMATCH[1]}"
  elif [[ "$value" =~ ^\"(.*)\"[[:space:]]*$ ]]; then
    value="${BASH_REMATCH[1]}"
    value="${value//\\n/$'\n'}"
    value="${value//\\\"/\"}"
  else
    # Unquoted: a ` #` starts a comment, trailing blanks are dropped.
    value="${value%%[[:space:]]#*}"
    value="${value%"${value##*[![:space:]]}"}"
  fi
  if [[ "$name" == *-* && "$name" != INPUT_* ]]; then
    echo "local-action: $env_file line $line_number: only INPUT_ names may contain '-': $name" >&2
    exit 2
  fi
  assignments+=("$name=$value")
done <"$env_file"

# Inputs exported in this shell would leak into the run; only the file's inputs count.
unset_inputs=()
while IFS= read -r variable; do
  [[ -n "$variable" ]] && unset_inputs+=(-u "$variable")
done < <(compgen -e | grep '^INPUT_' || true)

# The runner hides every value announced with ::add-mask:: from the log; do the same here so a
# token does not end up in the terminal or a pasted log.
mask_secrets() {
  awk '
    /^::add-mask::/ {
      secret = substr($0, 13)
      if (secret != "") secrets[++count] = secret
      print "::add-mask::***"; fflush(); next
    }
    {
      line = $0
      for (i = 1; i <= count; i++) {
        masked = ""
        while ((at = index(line, secrets[i])) > 0) {
          masked = masked substr(line, 1, at - 1) "***"
          line = substr(line, at + length(secrets[i]))
        }
        line = masked line
      }
      print line; fflush()
    }
  '
}

set +e
env "${unset_inputs[@]}" \
  GITHUB_EVENT_NAME="$event_name" \
  GITHUB_EVENT_PATH="$event_file" \
  GITHUB_OUTPUT="$output_file" \
  GITHUB_STEP_SUMMARY="$summary_file" \
  GITHUB_RUN_ID="${GITHUB_RUN_ID:-$(date +%s)}" \
  RUNNER_TEMP="${RUNNER_TEMP:-$work_dir}" \
  "${assignments[@]}" \
  "$node_binary" "$entry" | mask_secrets
status=${PIPESTATUS[0]}
set -e

# GITHUB_OUTPUT holds `name<<DELIMITER`, the value's lines, `DELIMITER` (as @actions/core writes it).
echo
echo "=== outputs"
awk '
  delimiter == "" && /^[^<=]+<</ {
    split($0, parts, "<<"); name = parts[1]; delimiter = substr($0, length(name) + 3); value = ""; lines = 0; next
  }
  delimiter != "" && $0 == delimiter { print name "=" value; delimiter = ""; next }
  delimiter != "" { value = (lines++ == 0) ? $0 : value "\n" $0; next }
  /=/ { print }
' "$output_file"
echo
echo "=== step summary"
cat "$summary_file"
echo
echo "=== exit status $status"
exit "$status"
