#!/bin/sh
# The script of the GitLab CI job in gitlab-ci.yml: copy it to ci/update-images.sh in the chart
# repository. It installs the command line, updates the image tags in the checkout, commits them
# on one branch and pushes that branch with GitLab push options that open (or keep) a merge
# request into the default branch.
#
# CI/CD variables it reads (Settings → CI/CD → Variables):
#   HARBOR_HOST              registry host, e.g. harbor.example.com
#   HARBOR_USERNAME          optional: robot account name (e.g. robot$charts); none for anonymous pulls
#   HARBOR_PASSWORD          its secret; masked and protected
#   HARBOR_CA                optional, type "File": the PEM of the CA that signed Harbor's certificate
#   GITLAB_PUSH_TOKEN        project access token, role Developer, scope write_repository; masked
#   UPDATE_IMAGES_CONFIG     config file (default .gitlab/helm-image-updater.yml)
#   UPDATE_IMAGES_BRANCH     branch of the merge request (default helm-image-updater/images)
#   UPDATE_IMAGES_CACHE_DIR  optional: tag metadata kept between runs (GitLab cache)
#   HELM_IMAGE_UPDATER_PACKAGE  what to install (default github:OWNER/helm-image-updater#v1)
#   UPDATE_IMAGES_PUSH_URL   optional: where to push (default this project over HTTPS with the token)
set -eu

config=${UPDATE_IMAGES_CONFIG:-.gitlab/helm-image-updater.yml}
branch=${UPDATE_IMAGES_BRANCH:-helm-image-updater/images}
target=${CI_DEFAULT_BRANCH:-main}

if ! command -v helm-image-updater >/dev/null 2>&1; then
  npm install --global --no-audit --no-fund \
    "${HELM_IMAGE_UPDATER_PACKAGE:-github:OWNER/helm-image-updater#v1}"
fi

set -- --dir . --config-file "$config" --json
if [ -n "${HARBOR_USERNAME:-}" ]; then
  # The password stays out of the command line (and so out of `ps`): the flag names a variable.
  HARBOR_AUTH="${HARBOR_USERNAME}:${HARBOR_PASSWORD}"
  export HARBOR_AUTH
  set -- "$@" --registry-credentials "${HARBOR_HOST}=env:HARBOR_AUTH"
fi
if [ -n "${HARBOR_CA:-}" ]; then
  set -- "$@" --ca-file "$HARBOR_CA"
fi
if [ -n "${UPDATE_IMAGES_CACHE_DIR:-}" ]; then
  set -- "$@" --cache-dir "$UPDATE_IMAGES_CACHE_DIR"
  # The cache lives in the project directory (GitLab caches only paths there); never commit it.
  printf '/%s/\n' "${UPDATE_IMAGES_CACHE_DIR#./}" >>"$(git rev-parse --git-path info/exclude)"
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT
# Exit status 1 means some image failed; the images that resolved are still committed below,
# and the job fails at the end.
status=0
helm-image-updater "$@" >"$report" || status=$?

if [ -z "$(git status --porcelain)" ]; then
  echo "Image tags are current; nothing to commit."
  exit "$status"
fi

# Title and body from the report: "chore(images): update frontend to main-b99bc73", then one
# line per changed key.
message=$(node -e '
  const report = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const names = [...new Set(report.updates.map((u) => `${u.image} to ${u.to}`))];
  const lines = report.updates.map((u) => `- ${u.file} ${u.key}: ${u.from ?? "(none)"} -> ${u.to}`);
  console.log(`chore(images): update ${names.join(" and ")}\n\n${lines.join("\n")}`);
' "$report")
title=$(printf '%s\n' "$message" | head -n 1)

git checkout -B "$branch"
git add --all
git -c user.name="helm-image-updater" -c user.email="${UPDATE_IMAGES_EMAIL:-helm-image-updater@noreply.invalid}" \
  commit --quiet --message "$message"

remote=${UPDATE_IMAGES_PUSH_URL:-https://${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git}
# The token reaches git through a credential helper that reads it from the environment: it is
# never part of a URL or a command line, so git cannot print it.
authenticated_git() {
  git -c credential.helper= \
    -c credential.helper='!f() { test "$1" = get && echo username=oauth2 && echo "password=${GITLAB_PUSH_TOKEN}"; }; f' \
    "$@"
}
# The branch is rebuilt from the default branch on every run; the push replaces it only if it
# still is what this run saw (compare-and-swap), so a commit someone pushed meanwhile is kept.
seen=$(authenticated_git ls-remote "$remote" "refs/heads/$branch" | cut -f1)
authenticated_git push --porcelain \
  --force-with-lease="refs/heads/$branch:$seen" \
  -o merge_request.create \
  -o merge_request.target="$target" \
  -o merge_request.title="$title" \
  -o merge_request.remove_source_branch \
  "$remote" "HEAD:refs/heads/$branch"
echo "Pushed $branch: $title"
exit "$status"
