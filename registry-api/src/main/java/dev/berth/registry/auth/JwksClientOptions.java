package dev.berth.registry.auth;

import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemTrustOptions;

/** The HTTP client settings for fetching token-service's JWKS: timeouts, and the CAs trusted over https. */
final class JwksClientOptions {
    private JwksClientOptions() {
    }

    static HttpClientOptions of(AuthConfig config) {
        HttpClientOptions options = new HttpClientOptions().setConnectTimeout(5_000).setVerifyHost(true);
        config.jwksTrustCertificates().ifPresent(files -> {
            PemTrustOptions trust = new PemTrustOptions();
            files.forEach(trust::addCertPath);
            options.setTrustOptions(trust);
        });
        return options;
    }
}
