#!/usr/bin/env bash
# Back up the database and the stored files into $BACKUP_DIR/<UTC time>/, then prune old
# backups: every backup for 35 days, the first of each month for 7 years (boards require
# completion records for at least four years; the database itself never deletes them).
# Needs the site's environment (DATABASE_URL, the storage settings) and BACKUP_DIR.
# Run from the release directory: deploy/ce-backup.timer does it nightly.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL}" "${BACKUP_DIR:?set BACKUP_DIR}"
PYTHON=${PYTHON:-.venv/bin/python}

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
target="$BACKUP_DIR/$stamp"
mkdir -p "$target.partial"
# Custom format: compressed, restorable table by table, in parallel (pg_restore -j).
pg_dump --format=custom --no-owner --no-privileges --file "$target.partial/database.dump" "$DATABASE_URL"
"$PYTHON" manage.py backup_files "$target.partial"
mv "$target.partial" "$target"  # a backup is complete, or not there
echo "backup written to $target"

if [ "${BACKUP_PRUNE:-true}" = true ]; then
  now=$(date -u +%s)
  for dir in "$BACKUP_DIR"/*/; do
    name=$(basename "$dir")
    [[ $name =~ ^([0-9]{4}-[0-9]{2}-([0-9]{2}))T ]] || continue
    age_days=$(( (now - $(date -u -d "${BASH_REMATCH[1]}" +%s)) / 86400 ))
    if (( age_days > 35 )) && { [ "${BASH_REMATCH[2]}" != 01 ] || (( age_days > 7 * 366 )); }; then
      rm -rf -- "$dir"
    fi
  done
fi
