#!/usr/bin/env bash
# Make sure the local services the test suites use are running; start any that is down.
# Usage: scripts/services.sh [postgresql] [mariadb] [redis] [rabbitmq]   (default: all four)
set -uo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # name port seconds
  for _ in $(seq 1 "$3"); do up "$2" && return 0; sleep 1; done
  echo "services: $1 did not come up on 127.0.0.1:$2" >&2
  return 1
}

start() {
  case "$1" in
    postgresql) pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start ;;
    mariadb) start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd ;;
    redis) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
             --dir /var/lib/redis --logfile /var/log/redis/ci.log ;;
    rabbitmq) rabbitmq-server -detached ;;
  esac
}

declare -A PORTS=([postgresql]=5432 [mariadb]=3306 [redis]=6379 [rabbitmq]=5672)
status=0
for service in "${@:-postgresql mariadb redis rabbitmq}"; do
  for name in $service; do
    port=${PORTS[$name]:?unknown service $name}
    if ! up "$port"; then
      echo "services: $name is down on 127.0.0.1:$port; starting it" >&2
      start "$name" >/dev/null 2>&1
      wait_for "$name" "$port" 60 || status=1
    fi
  done
done
exit $status
