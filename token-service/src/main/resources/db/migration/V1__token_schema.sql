-- token-service schema (Flyway, schema "token")

-- Signing keys. The active key is the newest one not retired; retired keys stay published in the JWKS
-- until every token they signed has expired. The JWK holds the private key: protect this table.
CREATE TABLE signing_key (
    kid         text PRIMARY KEY,
    algorithm   text        NOT NULL,
    jwk         text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);

-- Refresh tokens (docker login identity tokens). Only the SHA-256 of the token is stored.
CREATE TABLE refresh_token (
    id            bigserial   PRIMARY KEY,
    token_hash    text        NOT NULL UNIQUE,
    username      text        NOT NULL,
    kind          text        NOT NULL,
    client_id     text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX refresh_token_username ON refresh_token (username);

-- The built-in user store (used when no Keycloak is configured). Passwords are bcrypt hashes.
CREATE TABLE local_user (
    username       text        PRIMARY KEY,
    password_hash  text        NOT NULL,
    roles          text        NOT NULL DEFAULT '',
    groups         text        NOT NULL DEFAULT '',
    enabled        boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);
