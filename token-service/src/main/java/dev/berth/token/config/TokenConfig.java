package dev.berth.token.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Typed {@code token.*} settings of token-service; each default here is the documented one (docs/configuration.md). */
@ConfigMapping(prefix = "token")
public interface TokenConfig {

    /** {@code iss} of every token issued; registry-api's {@code registry.auth.issuer} must be the same. */
    @WithDefault("berth-token-service")
    String issuer();

    /**
     * The services (audiences) tokens are issued for: the {@code service} parameter must name one of them;
     * the first is used when a client names none. registry-api's {@code registry.auth.service} is one of these.
     */
    @WithDefault("berth-registry")
    List<String> services();

    /** Lifetime of an access token (JWT). */
    @WithDefault("PT5M")
    Duration lifetime();

    Keys keys();

    Refresh refresh();

    Keycloak keycloak();

    /** Trusted OIDC issuers whose JWTs are accepted as the password (CI federation), by a name of your choice. */
    Map<String, FederatedIssuer> federation();

    Local local();

    Policy policy();

    RateLimit rateLimit();

    CredentialCache credentialCache();

    interface Keys {
        /** {@code ES256} (default) or {@code RS256}: the algorithm of newly generated signing keys. */
        @WithDefault("ES256")
        String algorithm();

        /** A new signing key is generated when the active one is this old. */
        @WithDefault("P30D")
        Duration rotationPeriod();

        /** How long a retired key stays in the JWKS (at least the token lifetime plus clock skew). */
        @WithDefault("PT1H")
        Duration retiredKeep();

        /** How often each replica re-reads the keys from the database (to see another replica's rotation). */
        @WithDefault("PT1M")
        Duration reloadInterval();
    }

    interface Refresh {
        /** Lifetime of a refresh token (the identity token that {@code docker login} stores). */
        @WithDefault("P90D")
        Duration lifetime();
    }

    interface Keycloak {
        /** Base URL of Keycloak, e.g. {@code https://sso.example.com}; when unset the built-in user store is used. */
        Optional<String> url();

        @WithDefault("berth")
        String realm();

        /** Confidential client of token-service (direct access grants and a service account with view-users, view-clients). */
        @WithDefault("berth-token-service")
        String clientId();

        Optional<String> clientSecret();

        /** When a password grant fails, try the client-credentials grant (user name = client id, password = secret). */
        @WithDefault("true")
        boolean serviceAccounts();

        /** Time limit of one call to Keycloak. */
        @WithDefault("PT10S")
        Duration timeout();
    }

    interface FederatedIssuer {
        /** The {@code iss} the token must carry. */
        String issuer();

        /** JWKS of the issuer (refreshed when a token names an unknown {@code kid}). */
        String jwksUrl();

        /** The {@code aud} the token must contain. */
        String audience();

        /** Claim that names the caller; becomes the user name (after {@link #usernamePrefix()}). */
        @WithDefault("sub")
        String usernameClaim();

        /** Put before the user name, e.g. {@code gitlab:} (none by default). */
        Optional<String> usernamePrefix();

        /** Claim holding group paths (a list), used by the policy. */
        @WithDefault("groups")
        String groupsClaim();

        /** Claim holding role names, as a dot path into the claims. */
        @WithDefault("realm_access.roles")
        String rolesClaim();
    }

    interface Local {
        /**
         * Password of the built-in {@code admin} account (env {@code REGISTRY_ADMIN_PASSWORD}); when unset a
         * password is generated at first start and logged once.
         */
        @WithName("admin-password")
        Optional<String> adminPassword();
    }

    interface Policy {
        /** A YAML policy file replacing the built-in default policy (see docs/authentication.md, "Access policy"). */
        Optional<Path> file();
    }

    interface RateLimit {
        /** Failed logins allowed per client address and user name within {@link #window()}. */
        @WithDefault("5")
        int maxFailuresPerUser();

        /** Failed logins allowed per client address (all user names) within {@link #window()}. */
        @WithDefault("30")
        int maxFailuresPerClient();

        @WithDefault("PT1M")
        Duration window();
    }

    interface CredentialCache {
        /**
         * How long a successful password or secret check is remembered in memory (per replica), so that a
         * repeated login with the same credentials skips bcrypt or the Keycloak grant; {@code 0} disables the
         * cache. It is also the bound within which an account disabled, or a password changed, in Keycloak still
         * logs in with the old credentials (the built-in user store drops its entries at once).
         */
        @WithDefault("60s")
        Duration ttl();

        /** At most this many remembered checks per replica; past it the least useful entries are evicted. */
        @WithDefault("10000")
        int maxSize();
    }
}
