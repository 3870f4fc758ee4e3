#!/bin/sh
# Boot script of the web servers: serve the host name on port 80.
mkdir -p /var/www
hostname > /var/www/index.html
cd /var/www && nohup python3 -m http.server 80 >/dev/null 2>&1 &
