#!/usr/bin/env bash
# The restore drill: back up the site, restore the backup into a fresh database and a
# fresh files location, and check that orders, certificates and their PDFs are all there.
# CI runs it (tests/ops/test_backups.py); run it by hand after any change to backups.
#
# Needs the site's environment (DATABASE_URL, storage settings). The fresh files
# location is new local folders (MEDIA_ROOT, PRIVATE_MEDIA_ROOT) or, with object storage,
# new buckets: every *_BUCKET_NAME variable gets a "-drill-<time>" suffix and the bucket
# is created. The drill database and folders are removed at the end; drill buckets are
# left for the operator to inspect and delete.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL}"
PYTHON=${PYTHON:-.venv/bin/python}
work=$(mktemp -d "${TMPDIR:-/tmp}/ce-drill.XXXXXX")
stamp=$(date -u +%Y%m%d%H%M%S)
drill_db="ce_drill_${stamp}_$$"
base_url=${DATABASE_URL%/*}
cleanup() {
  psql --quiet "$base_url/postgres" -c "DROP DATABASE IF EXISTS $drill_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "1. back up"
BACKUP_DIR="$work/backups" BACKUP_PRUNE=false deploy/backup.sh
backup=$(ls -d "$work"/backups/*/ | head -n1)

echo "2. restore the database into $drill_db"
psql --quiet "$base_url/postgres" -c "CREATE DATABASE $drill_db"
pg_restore --no-owner --no-privileges --exit-on-error --dbname "$base_url/$drill_db" "$backup/database.dump"

echo "3. restore the files into a fresh location"
export DATABASE_URL="$base_url/$drill_db"
export MEDIA_ROOT="$work/restored/media" PRIVATE_MEDIA_ROOT="$work/restored/private_media"
for name in $(compgen -e | grep '_BUCKET_NAME$' || true); do
  export "$name=${!name}-drill-$stamp"
done
"$PYTHON" manage.py restore_files "$backup"

echo "4. check"
"$PYTHON" manage.py restore_check "$backup"
