"""Auth, tenancy and bad input at the API edge."""
from __future__ import annotations

import httpx
import pytest
from monite.core.api_error import ApiError
from monite.errors import UnauthorizedError, UnprocessableEntityError

from tests.support import client


def test_token_and_revoke(system, partner):
    issued = httpx.post(f"{system.api_url}/v1/auth/token", headers={"X-Monite-Version": client.VERSION},
                        json={"grant_type": "client_credentials", "client_id": partner["client_id"],
                              "client_secret": partner["client_secret"]}).json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 1800
    sdk = client.sdk(system.api_url, issued["access_token"])
    revoked = sdk.access_tokens.revoke(client_id=partner["client_id"], client_secret=partner["client_secret"],
                                       token=issued["access_token"])
    assert revoked.message
    with pytest.raises(UnauthorizedError):
        client.sdk(system.api_url, issued["access_token"], "00000000-0000-0000-0000-000000000000") \
            .accounting.connections.get()


def test_token_via_sdk_and_entity_user_grant(system, partner):
    sdk = client.sdk(system.api_url, None)
    for extra in ({"grant_type": "client_credentials"},
                  {"grant_type": "entity_user", "entity_user_id": "6f4a1c1e-5b7f-4a43-9b0e-7d0f3a2b1c9d"}):
        got = sdk.access_tokens.create(client_id=partner["client_id"], client_secret=partner["client_secret"],
                                       **extra)
        assert got.access_token and got.expires_in == 1800


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_bad_credentials_are_refused(system, partner, secret):
    resp = httpx.post(f"{system.api_url}/v1/auth/token", headers={"X-Monite-Version": client.VERSION},
                      json={"grant_type": "client_credentials", "client_id": partner["client_id"],
                            "client_secret": secret})
    assert resp.status_code in (401, 422)
    assert "error" in resp.json() or "detail" in resp.json()


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not-a-jwt", "Basic abc"])
def test_missing_or_bad_token_is_401(system, authorization):
    headers = {"X-Monite-Version": client.VERSION}
    if authorization:
        headers["Authorization"] = authorization
    resp = httpx.get(f"{system.api_url}/v1/accounting_connections", headers=headers)
    assert resp.status_code == 401 and resp.json()["error"]["message"]


def test_token_signed_with_another_key_is_401(system, partner):
    import jwt
    forged = jwt.encode({"sub": partner["partner_id"], "iss": "ledgersync", "aud": "ledgersync-api",
                         "exp": 4102444800, "jti": "5d6f0c3e-8f2f-4f39-9d64-0d2b5f8e4a11"}, "x" * 40,
                        algorithm="HS256")
    with pytest.raises(UnauthorizedError):
        client.sdk(system.api_url, forged, "00000000-0000-0000-0000-000000000000").accounting.connections.get()


def test_missing_version_header_is_422(system, access_token, new_entity):
    resp = httpx.get(f"{system.api_url}/v1/accounting_connections",
                     headers={"Authorization": f"Bearer {access_token}", "X-Monite-Entity-Id": new_entity()})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["header", "x-monite-version"]


def test_missing_entity_header_is_422_and_unknown_entity_404(system, access_token):
    with pytest.raises(UnprocessableEntityError):
        client.sdk(system.api_url, access_token).accounting.connections.get()
    with pytest.raises(ApiError) as unknown:
        client.sdk(system.api_url, access_token, "2b1e8a51-1111-4d3c-9f00-1234567890ab").accounting.connections.get()
    assert unknown.value.status_code == 404


def test_malformed_and_oversized_bodies(system, access_token, new_entity):
    headers = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION,
               "X-Monite-Entity-Id": new_entity(), "Content-Type": "application/json"}
    url = f"{system.api_url}/v1/accounting_connections"
    bad_json = httpx.post(url, headers=headers, content=b'{"platform": ')
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]["message"]
    bad_platform = httpx.post(url, headers=headers, json={"platform": "sap"})
    assert bad_platform.status_code == 422 and bad_platform.json()["detail"][0]["loc"][:2] == ["body", "platform"]
    huge = httpx.post(url, headers=headers, content=b'{"platform": "' + b"x" * 2_000_000 + b'"}')
    assert huge.status_code == 413 and "too large" in huge.json()["error"]["message"]
    assert httpx.get(url, headers=headers).json()["data"] == []  # nothing was created


def test_entity_settings_round_trip(system, access_token, new_entity):
    entity = new_entity("Settings KG")
    sdk = client.sdk(system.api_url, access_token, entity)
    headers = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION}
    url = f"{system.api_url}/v1/entities/{entity}/settings"
    assert httpx.get(url, headers=headers).json().get("accounting") in (None, {})
    patched = httpx.patch(url, headers=headers, json={"accounting": {"ledger_account_ids": {"payments": "acc-090"}}})
    assert patched.status_code == 200, patched.text
    sdk.entities.update_settings_by_id(entity, accounting={"tax_ids": {"deductions": "tax-1"}})
    got = sdk.entities.get_settings_by_id(entity)
    assert got.accounting.ledger_account_ids.payments == "acc-090"
    assert got.accounting.tax_ids.deductions == "tax-1"


def test_openapi_document_is_served(system):
    doc = httpx.get(f"{system.api_url}/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/v1/accounting_connections" in doc["paths"]


def test_health_ready_metrics_on_every_service(system):
    for base in (system.api_url, system.webhook_url, system.sandbox_url):
        assert httpx.get(base + "/healthz").json()["status"] == "ok"
        assert httpx.get(base + "/readyz").status_code == 200
        assert "# TYPE" in httpx.get(base + "/metrics").text


def test_secrets_never_reach_the_logs(system):
    fresh = system.create_partner("Secretive Ltd")
    token = client.token(system.api_url, fresh)
    httpx.get(f"{system.api_url}/v1/accounting_connections",
              headers={"Authorization": f"Bearer {token}", "X-Monite-Version": client.VERSION})
    httpx.post(f"{system.api_url}/v1/auth/token", headers={"X-Monite-Version": client.VERSION},
               json={"grant_type": "client_credentials", "client_id": fresh["client_id"], "client_secret": "nope"})
    logged = system.log_path.read_text()
    assert fresh["client_id"] in logged  # the refused attempt is logged, by client id
    for secret in (fresh["client_secret"], token, token.split(".")[2], system.settings.provider_api_key,
                   system.settings.provider_webhook_secret, system.settings.provider_secret_key,
                   system.settings.jwt_secret):
        assert secret not in logged


def test_a_revoked_token_reads_no_synced_records_whatever_else_is_wrong(system, partner, new_entity):
    """The list checks revocation in its page query; its other answers are checked too."""
    entity = new_entity()
    token = client.token(system.api_url, partner)
    headers = {"Authorization": f"Bearer {token}", "X-Monite-Version": client.VERSION, "X-Monite-Entity-Id": entity}
    url = f"{system.api_url}/v1/accounting_synced_records"
    assert httpx.get(url, headers=headers, params={"object_type": "receivable"}).status_code == 200
    httpx.post(f"{system.api_url}/v1/auth/revoke", headers={"X-Monite-Version": client.VERSION},
               json={"client_id": partner["client_id"], "client_secret": partner["client_secret"],
                     "token": token}).raise_for_status()
    for params, entity_id in (({"object_type": "receivable"}, entity), ({"object_type": "nonsense"}, entity),
                              ({"object_type": "receivable"}, "00000000-0000-0000-0000-000000000000")):
        resp = httpx.get(url, headers={**headers, "X-Monite-Entity-Id": entity_id}, params=params)
        assert (resp.status_code, resp.json()) == (401, {"error": {"message": "Access token has been revoked"}})
