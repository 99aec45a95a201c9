#!/bin/bash
# Runs once, on the first start of an empty data directory (docker-entrypoint-initdb.d):
# one database per Trident service, owned by POSTGRES_USER. Each service applies its own
# migrations at start-up (`trident serve <service>`, or `trident migrate <service>`).
set -euo pipefail

for db in ${TRIDENT_DATABASES:-users auth pictures analytics}; do
  echo "creating database ${db}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
SELECT 'CREATE DATABASE "${db}" OWNER "${POSTGRES_USER}"'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${db}')\gexec
SQL
done
