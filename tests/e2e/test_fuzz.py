"""schemathesis against the running API, all checks, as a partner would meet it: a real token, a
connected entity with pulled data, the ids of real objects. Seeded and bounded to fit CI; it
fails on any server error, undocumented status, response that breaks its schema, valid request
refused or invalid one accepted. The coverage phase tries two unexpected methods, not eight.

Two known disagreements are configured, not hidden: a made-up `pagination_token` is schema-valid
(an opaque string) yet not one of ours, so the token lists answer it 422, as documented; and a
subscription PATCH naming events of the other object type is a 422 no static schema can foresee."""
from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.support import client, flows

SEED = 20261201
MAX_EXAMPLES = 5
TOKEN_LISTS = ["get_accounting_tax_rates", "get_ledger_accounts", "get_accounting_synced_records",
               "get_webhook_subscriptions", "get_webhook_deliveries", "get_events"]
# Checking a client secret costs an argon2 hash by design (~0.1 s): the credential calls get the
# examples and fuzzing phases, not the coverage phase's hundred-odd boundary cases.
SLOW_AUTH = ["post_auth_token", "post_auth_revoke"]
# Which events a subscription may name depends on its stored object type, which a PATCH may omit.
STATEFUL_422 = ["patch_webhook_subscriptions_id"]


def _first_id(system, token: str, entity: str, path: str) -> str | None:
    headers = {"Authorization": f"Bearer {token}", "X-Monite-Version": client.VERSION,
               "X-Monite-Entity-Id": entity}
    data = httpx.get(f"{system.api_url}{path}", headers=headers).json()["data"]
    return data[0]["id"] if data else None


def _toml(value: object) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _config(system, token: str, main: str, connection: str, spare: tuple[str, str], fresh: str) -> str:
    """schemathesis.toml: the main entity everywhere; disconnect on a spare connected entity and
    create on a fresh one, so the main connection stays connected for the whole run."""
    params = {"header.X-Monite-Entity-Id": main, "header.X-Monite-Version": client.VERSION,
              "path.connection_id": connection, "path.entity_id": main}
    for name, path in (("tax_rate_id", "/v1/accounting_tax_rates"),
                       ("ledger_account_id", "/v1/ledger_accounts"),
                       ("invoice_id", "/v1/accounting/receivables"),
                       ("payable_id", "/v1/accounting/payables"),
                       ("synced_record_id", "/v1/accounting_synced_records?object_type=product")):
        if found := _first_id(system, token, main, path):
            params[f"path.{name}"] = found
    lines = [f"seed = {SEED}", "[generation]", f"max-examples = {MAX_EXAMPLES}", 'database = "none"',
             "[phases.coverage]", 'unexpected-methods = ["delete", "trace"]',
             "[auth.openapi.bearerAuth]", f"bearer = {_toml(token)}", "[parameters]",
             *(f"{_toml(k)} = {_toml(v)}" for k, v in params.items()),
             "[[operations]]", 'include-operation-id = "post_accounting_connections_id_disconnect"',
             f'parameters = {{ "header.X-Monite-Entity-Id" = {_toml(spare[0])}, '
             f'"path.connection_id" = {_toml(spare[1])} }}',
             "[[operations]]", 'include-operation-id = "post_accounting_connections"',
             f'parameters = {{ "header.X-Monite-Entity-Id" = {_toml(fresh)} }}',
             "[[operations]]", f"include-operation-id = {SLOW_AUTH!r}".replace("'", '"'),
             "phases.coverage.enabled = false",
             "[[operations]]", f"include-operation-id = {[*TOKEN_LISTS, *STATEFUL_422]!r}".replace("'", '"'),
             "checks.positive_data_acceptance.expected-statuses = "
             '["2xx", "401", "404", "409", "422"]']
    return "\n".join(lines) + "\n"


@pytest.fixture
def fuzz_config(system, access_token, new_entity, tmp_path) -> str:
    main, spare, fresh = new_entity("Fuzz GmbH"), new_entity("Fuzz Spare AG"), new_entity("Fuzz New KG")
    main_connection = flows.connect(system, client.sdk(system.api_url, access_token, main), main)
    spare_connection = flows.connect(system, client.sdk(system.api_url, access_token, spare), spare)
    path = tmp_path / "schemathesis.toml"
    path.write_text(_config(system, access_token, main, main_connection.id, (spare, spare_connection.id),
                            fresh))
    return str(path)


def test_schemathesis_all_checks_find_nothing(system, fuzz_config):
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", fuzz_config, "run",
               f"{system.api_url}/openapi.json", "--checks", "all", "--workers", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          cwd=str(fuzz_config).rsplit("/", 1)[0])
    assert done.returncode == 0, f"schemathesis found problems:\n{done.stdout[-12000:]}\n{done.stderr[-2000:]}"
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", done.stdout)
    assert selected and selected.group(1) == selected.group(2) == selected.group(3), done.stdout[-3000:]
