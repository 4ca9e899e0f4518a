package dev.berth.token.ratelimit;

import dev.berth.token.config.TokenConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows down password guessing: failed logins are counted per client address and user name, and per client
 * address, in a sliding window; past the limit the client gets {@code 429} with {@code Retry-After} until
 * enough failures have aged out of the window. Per replica, in memory, bounded in size.
 * Metrics: {@code berth_token_login_failures_total} and {@code berth_token_login_throttled_total}.
 */
@ApplicationScoped
public class LoginThrottle {
    private static final int MAX_KEYS = 50_000;

    private final int perUser;
    private final int perClient;
    private final long windowNanos;
    private final Counter failures;
    private final Counter throttled;
    private final Map<String, Deque<Long>> recent = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Long>> eldest) {
            return size() > MAX_KEYS;
        }
    };

    public LoginThrottle(TokenConfig config, MeterRegistry registry) {
        this.perUser = config.rateLimit().maxFailuresPerUser();
        this.perClient = config.rateLimit().maxFailuresPerClient();
        this.windowNanos = config.rateLimit().window().toNanos();
        this.failures = Counter.builder("berth.token.login.failures")
                .description("Failed logins at token-service (wrong user name, password, secret or token)").register(registry);
        this.throttled = Counter.builder("berth.token.login.throttled")
                .description("Login attempts refused with 429 because of repeated failures").register(registry);
    }

    /** How long the client must wait before trying this user name again; zero when it may try now. */
    public synchronized Duration retryAfter(String client, String username) {
        long now = System.nanoTime();
        Duration wait = wait(key(client, username), perUser, now);
        Duration clientWait = wait("c|" + client, perClient, now);
        Duration result = wait.compareTo(clientWait) >= 0 ? wait : clientWait;
        if (!result.isZero()) {
            throttled.increment();
        }
        return result;
    }

    public synchronized void failed(String client, String username) {
        failures.increment();
        long now = System.nanoTime();
        add(key(client, username), now);
        add("c|" + client, now);
    }

    /**
     * A failure that guessed nothing (an identity token that was real but is revoked, expired or of a disabled
     * account): counted per client address only, so that it does not slow down other users' identity tokens.
     */
    public synchronized void failedKnownToken(String client) {
        failures.increment();
        add("c|" + client, System.nanoTime());
    }

    public synchronized void succeeded(String client, String username) {
        recent.remove(key(client, username));
    }

    private static String key(String client, String username) {
        return "u|" + client + "|" + (username == null ? "" : username.toLowerCase());
    }

    private void add(String key, long now) {
        Deque<Long> times = recent.computeIfAbsent(key, k -> new ArrayDeque<>());
        prune(times, now);
        times.addLast(now);
        while (times.size() > Math.max(perUser, perClient) + 1) {
            times.removeFirst();
        }
    }

    private Duration wait(String key, int limit, long now) {
        Deque<Long> times = recent.get(key);
        if (times == null) {
            return Duration.ZERO;
        }
        prune(times, now);
        if (times.size() < limit) {
            return Duration.ZERO;
        }
        // the oldest failure that must age out before one more attempt is allowed
        long oldest = times.stream().skip(times.size() - limit).findFirst().orElse(now);
        return Duration.ofNanos(Math.max(1_000_000_000L, oldest + windowNanos - now));
    }

    private void prune(Deque<Long> times, long now) {
        while (!times.isEmpty() && times.peekFirst() + windowNanos < now) {
            times.removeFirst();
        }
    }
}
