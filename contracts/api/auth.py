"""`POST /v1/auth/token` and `POST /v1/auth/revoke` bodies (SDK `access_tokens`)."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, RootModel

from contracts.api.common import NonEmptyText
from contracts.types import Contract


class ClientCredentialsGrant(Contract):
    """A partner token. An `entity_user_id` sent along (even `null`) is ignored."""

    grant_type: Literal["client_credentials"]
    client_id: NonEmptyText
    client_secret: NonEmptyText


class EntityUserGrant(Contract):
    """A token acting as one entity user."""

    grant_type: Literal["entity_user"]
    client_id: NonEmptyText
    client_secret: NonEmptyText
    entity_user_id: NonEmptyText


class AuthTokenRequest(RootModel[Annotated[Union[ClientCredentialsGrant, EntityUserGrant],
                                           Field(discriminator="grant_type")]]):
    """Body of `POST /v1/auth/token`, discriminated on `grant_type`; the grant is `.root`."""


class AccessTokenResponse(Contract):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires.", examples=[1800])


class RevokeTokenRequest(Contract):
    client_id: NonEmptyText
    client_secret: NonEmptyText
    token: NonEmptyText
