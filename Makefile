# Two entry points, both self-installing on a fresh machine (Python 3.11 and make):
#   make demo   the main job: serve, create a stack with the openstack CLI, show it
#   make test   the whole test suite (what CI runs)

VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo demo-scaling test test-openstack test-zabbix bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	VENV=$(VENV) scripts/demo.sh

# The autoscaling example: the group grows with the sandbox servers' load and shrinks back
demo-scaling: $(STAMP)
	VENV=$(VENV) scripts/scaling_demo.sh

# The whole suite on SQLite, then the engine suite again on PostgreSQL (the
# migration tests run on SQLite, PostgreSQL and MariaDB in the first pass),
# then the OpenStack integration suite on a real OpenStack control plane.
POSTGRES_URL ?= postgresql+psycopg2://postgres@127.0.0.1/postgres
MINICLOUD_CLOUDS ?= /var/lib/minicloud/tooling/clouds.yaml

test: $(STAMP)
	scripts/services.sh postgresql mariadb rabbitmq redis
	$(VENV)/bin/pytest
	ORCHESTRATOR_TEST_DATABASE=$(POSTGRES_URL) $(VENV)/bin/pytest tests/engine -q
	$(MAKE) test-openstack
	$(MAKE) test-zabbix

# The shared minicloud (Keystone, Nova, Neutron, Cinder, Octavia from Debian's
# packages; installed on first use, about 5 minutes), as its non-admin user demo.
test-openstack: $(STAMP)
	scripts/minicloud.sh start
	OS_CLIENT_CONFIG_FILE=$(MINICLOUD_CLOUDS) OS_CLOUD=minicloud-demo OS_TEST_SERVICE_CLOUD=minicloud-orchestrator \
		OS_TEST_OTHER_CLOUD=minicloud-alt $(VENV)/bin/pytest -m openstack -q tests/integration/openstack

# A real Zabbix 6.0 from Debian's packages on loopback (installed on first use, about a minute; a start
# takes about two seconds), with the OS::Zabbix:: plugins' integration suite (about 20 s) against it.
test-zabbix: $(STAMP)
	scripts/zabbix.sh start
	$(VENV)/bin/pytest -m zabbix -q tests/integration/zabbix

bench: $(STAMP)
	$(VENV)/bin/python bench/template_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
