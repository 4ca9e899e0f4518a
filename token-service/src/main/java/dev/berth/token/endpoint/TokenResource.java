package dev.berth.token.endpoint;

import dev.berth.token.config.TokenConfig;
import dev.berth.token.identity.AuthenticationFailed;
import dev.berth.token.identity.Authenticator;
import dev.berth.token.identity.Identity;
import dev.berth.token.identity.IdentityProviderUnavailable;
import dev.berth.token.jwt.TokenIssuer;
import dev.berth.token.policy.AccessPolicy;
import dev.berth.token.ratelimit.LoginThrottle;
import dev.berth.token.refresh.RefreshTokens;
import dev.berth.core.scope.InvalidScopeException;
import dev.berth.core.scope.Scope;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The Docker token endpoint:
 * <ul>
 * <li>{@code GET /token?service=…&scope=…&offline_token=…&client_id=…} with Basic credentials or none (anonymous);</li>
 * <li>{@code POST /token} (OAuth2 form) with {@code grant_type=password} or {@code grant_type=refresh_token}, which
 * {@code docker login} uses to obtain an identity token ({@code access_type=offline}).</li>
 * </ul>
 * Answers {@code token}, {@code access_token}, {@code expires_in}, {@code issued_at} and, when asked for and the
 * caller signed in, {@code refresh_token}.
 */
@Path("/token")
@Produces(MediaType.APPLICATION_JSON)
public class TokenResource {
    private static final Logger LOG = Logger.getLogger(TokenResource.class);

    private final TokenConfig config;
    private final Authenticator authenticator;
    private final AccessPolicy policy;
    private final TokenIssuer issuer;
    private final RefreshTokens refreshTokens;
    private final LoginThrottle throttle;

    public TokenResource(TokenConfig config, Authenticator authenticator, AccessPolicy policy, TokenIssuer issuer,
            RefreshTokens refreshTokens, LoginThrottle throttle) {
        this.config = config;
        this.authenticator = authenticator;
        this.policy = policy;
        this.issuer = issuer;
        this.refreshTokens = refreshTokens;
        this.throttle = throttle;
    }

    @GET
    public Response get(@QueryParam("service") String service, @QueryParam("scope") List<String> scopes,
            @QueryParam("offline_token") String offlineToken, @QueryParam("client_id") String clientId,
            @HeaderParam("Authorization") String authorization, @Context HttpServerRequest request) {
        return handle(() -> {
            String audience = service(service);
            List<Scope> requested = scopes(scopes);
            Identity identity;
            if (authorization == null || authorization.isBlank()) {
                identity = Identity.ANONYMOUS;
            } else {
                identity = basicLogin(authorization, request);
            }
            boolean offline = "true".equalsIgnoreCase(offlineToken);
            return answer(identity, audience, requested, offline, clientId);
        });
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response post(@FormParam("grant_type") String grantType, @FormParam("service") String service,
            @FormParam("scope") String scope, @FormParam("client_id") String clientId,
            @FormParam("access_type") String accessType, @FormParam("username") String username,
            @FormParam("password") String password, @FormParam("refresh_token") String refreshToken,
            @Context HttpServerRequest request) {
        return handle(() -> {
            String audience = service(service);
            List<Scope> requested = scopes(scope == null ? List.of() : List.of(scope));
            String client = client(request);
            if ("password".equals(grantType)) {
                Identity identity = login(client, username, password);
                return answer(identity, audience, requested, "offline".equals(accessType), clientId);
            }
            if ("refresh_token".equals(grantType)) {
                Identity identity = refresh(client, refreshToken);
                return respond(body(identity, audience, requested));
            }
            throw new BadRequest("unsupported_grant_type", "grant_type must be password or refresh_token");
        });
    }

    /** RFC 7009-style revocation of a refresh token by its holder; always 200. */
    @POST
    @Path("/revoke")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response revoke(@FormParam("token") String token) {
        refreshTokens.revoke(token);
        return Response.ok(Map.of()).build();
    }

    private Identity login(String client, String username, String password) {
        Duration wait = throttle.retryAfter(client, username);
        if (!wait.isZero()) {
            logFailure(username, client, "throttled", "retry in " + wait.toSeconds() + " s");
            throw new Throttled(wait);
        }
        try {
            Identity identity = authenticator.authenticate(username, password);
            throttle.succeeded(client, username);
            return identity;
        } catch (AuthenticationFailed e) {
            throttle.failed(client, username);
            logFailure(username, client, e.reason().label(), e.getMessage());
            throw e;
        } catch (IdentityProviderUnavailable e) {
            logFailure(username, client, "idp_unavailable", e.getMessage());
            throw e;
        }
    }

    private Identity refresh(String client, String token) {
        Duration wait = throttle.retryAfter(client, "");
        if (!wait.isZero()) {
            logFailure(null, client, "throttled", "identity token; retry in " + wait.toSeconds() + " s");
            throw new Throttled(wait);
        }
        RefreshTokens.Holder holder;
        try {
            holder = refreshTokens.use(token);
        } catch (AuthenticationFailed e) {
            if (e.reason() == AuthenticationFailed.Reason.UNKNOWN_IDENTITY_TOKEN) {
                throttle.failed(client, "");
            } else {
                throttle.failedKnownToken(client);
            }
            logFailure(e.username(), client, e.reason().label(), e.getMessage());
            throw e;
        }
        Optional<Identity> identity;
        try {
            identity = authenticator.current(holder.username(), holder.kind());
        } catch (IdentityProviderUnavailable e) {
            logFailure(holder.username(), client, "idp_unavailable", e.getMessage());
            throw e;
        }
        if (identity.isEmpty()) {
            // the account is disabled or gone: end all its identity tokens now, so that re-enabling it later does
            // not bring them back (a new docker login is needed then)
            int revoked = refreshTokens.revokeAll(holder.username(), holder.kind());
            throttle.failedKnownToken(client);
            logFailure(holder.username(), client, AuthenticationFailed.Reason.DISABLED.label(),
                    "identity token of a disabled or deleted account; revoked its " + revoked + " identity token(s)");
            throw AuthenticationFailed.identityToken(AuthenticationFailed.Reason.DISABLED, holder.username(),
                    "the account is disabled or gone");
        }
        return identity.get();
    }

    /** One line per failed login: who (as typed), from where, the reason class; never the password or token. */
    private static void logFailure(String username, String client, String reason, String detail) {
        // the detail may repeat the typed user name: escaped like it, so no crafted name forges a log line
        LOG.infof("login failed: user=%s client=%s reason=%s (%s)", printable(username), client, reason,
                printable(detail, 512));
    }

    /** A user name as typed, safe for a log line (quoted, control characters escaped, bounded). */
    static String printable(String username) {
        return printable(username, 128);
    }

    private static String printable(String value, int maxCodePoints) {
        if (value == null || value.isEmpty()) {
            return "-";
        }
        StringBuilder text = new StringBuilder("\"");
        value.codePoints().limit(maxCodePoints).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || cp == '"' || cp == '\\') {
                text.append(String.format("\\x%02x", cp));
            } else {
                text.appendCodePoint(cp);
            }
        });
        if (value.codePointCount(0, value.length()) > maxCodePoints) {
            text.append("…");
        }
        return text.append('"').toString();
    }

    private Response answer(Identity identity, String audience, List<Scope> requested, boolean offline, String clientId) {
        Map<String, Object> body = body(identity, audience, requested);
        if (offline && !identity.anonymous() && identity.kind() != Identity.Kind.FEDERATED) {
            body.put("refresh_token", refreshTokens.issue(identity, clientId));
        }
        return respond(body);
    }

    private static Response respond(Map<String, Object> body) {
        return Response.ok(body).header("Cache-Control", "no-store").build();
    }

    /** Identity of a Basic header (the admin API uses it too). */
    public Identity basicLogin(String authorization, HttpServerRequest request) {
        String client = client(request);
        String[] basic;
        try {
            if (authorization == null) {
                throw new AuthenticationFailed("no credentials");
            }
            basic = basic(authorization);
        } catch (AuthenticationFailed e) {
            logFailure(null, client, e.reason().label(), e.getMessage());
            throw e;
        }
        return login(client, basic[0], basic[1]);
    }

    static Response failure(RuntimeException e) {
        return handle(() -> {
            throw e;
        });
    }

    private Map<String, Object> body(Identity identity, String audience, List<Scope> requested) {
        AccessPolicy.Decision decision = policy.decide(identity, requested);
        TokenIssuer.Issued issued = issuer.issue(identity, audience, decision.access(), decision.pullable());
        LOG.debugf("token for '%s' (%s), %s: asked %s, granted %s%s", identity.username(), identity.kind(), audience,
                requested, decision.access(), decision.pullable() == null ? "" : ", pullable " + decision.pullable());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", issued.token());
        body.put("access_token", issued.token());
        body.put("expires_in", issued.expiresIn());
        body.put("issued_at", issued.issuedAt().truncatedTo(ChronoUnit.SECONDS).toString());
        return body;
    }

    private String service(String requested) {
        List<String> services = config.services();
        if (requested == null || requested.isBlank()) {
            return services.get(0);
        }
        if (!services.contains(requested)) {
            throw new BadRequest("invalid_request", "unknown service '" + requested + "'; this token service serves "
                    + services);
        }
        return requested;
    }

    private static List<Scope> scopes(List<String> values) {
        try {
            return Scope.parseAll(values);
        } catch (InvalidScopeException e) {
            // an invalid repository name is the registry's NAME_INVALID; any other malformed scope stays UNSUPPORTED
            throw new BadRequest("invalid_scope", e.problem() == InvalidScopeException.Problem.NAME_INVALID
                    ? "NAME_INVALID" : "UNSUPPORTED", e.getMessage());
        }
    }

    private static String[] basic(String authorization) {
        if (!authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            throw new AuthenticationFailed("not Basic authorization");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new AuthenticationFailed("malformed Basic authorization");
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            throw new AuthenticationFailed("malformed Basic authorization");
        }
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    private static String client(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }

    private interface Work {
        Response run();
    }

    private static Response handle(Work work) {
        try {
            return work.run();
        } catch (AuthenticationFailed e) {
            return error(401, "invalid_grant", "UNAUTHORIZED", e.clientMessage())
                    .header("WWW-Authenticate", "Basic realm=\"berth\"").build();
        } catch (Throttled e) {
            long seconds = Math.max(1, e.wait.toSeconds() + (e.wait.toMillisPart() > 0 ? 1 : 0));
            return error(429, "slow_down", "TOOMANYREQUESTS",
                    "too many failed logins from this client; retry in " + seconds + " s")
                    .header("Retry-After", Long.toString(seconds)).build();
        } catch (BadRequest e) {
            return error(400, e.code, e.dockerCode, e.getMessage()).build();
        } catch (IdentityProviderUnavailable e) {
            // logged where it happened, with the user name and client (login failed: ... reason=idp_unavailable)
            return error(503, "temporarily_unavailable", "UNAVAILABLE",
                    "the identity provider is unavailable; retry later").header("Retry-After", "5").build();
        }
    }

    private static Response.ResponseBuilder error(int status, String oauthCode, String dockerCode, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", oauthCode);
        body.put("error_description", message);
        body.put("errors", List.of(Map.of("code", dockerCode, "message", message)));
        return Response.status(status).entity(body).type(MediaType.APPLICATION_JSON).header("Cache-Control", "no-store");
    }

    static final class BadRequest extends RuntimeException {
        final String code;
        final String dockerCode;

        BadRequest(String code, String message) {
            this(code, "DENIED".equals(code) ? "DENIED" : "UNSUPPORTED", message);
        }

        BadRequest(String code, String dockerCode, String message) {
            super(message, null, false, false);
            this.code = code;
            this.dockerCode = dockerCode;
        }
    }

    static final class Throttled extends RuntimeException {
        final Duration wait;

        Throttled(Duration wait) {
            super("throttled", null, false, false);
            this.wait = wait;
        }
    }
}
