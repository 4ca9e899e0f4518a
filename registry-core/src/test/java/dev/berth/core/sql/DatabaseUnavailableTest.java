package dev.berth.core.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.VertxException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class DatabaseUnavailableTest {

    private static DatabaseException sqlState(String state) {
        return new DatabaseException("server said " + state, 0, state) {
        };
    }

    @Test
    void anUnreachableOrStoppingServerIsUnavailable() {
        assertThat(DatabaseUnavailable.is(new CompletionException(new ConnectException("Connection refused")))).isTrue();
        assertThat(DatabaseUnavailable.is(ClosedConnectionException.INSTANCE)).isTrue();
        assertThat(DatabaseUnavailable.is(sqlState("57P01"))).as("admin shutdown").isTrue();
        assertThat(DatabaseUnavailable.is(sqlState("57P03"))).as("starting up").isTrue();
        assertThat(DatabaseUnavailable.is(sqlState("08006"))).as("connection failure").isTrue();
        assertThat(DatabaseUnavailable.is(new VertxException("Timeout waiting for connection", true))).isTrue();
        assertThat(DatabaseUnavailable.describe(new RuntimeException(new ConnectException("Connection refused: x"))))
                .isEqualTo("ConnectException: Connection refused: x");
    }

    @Test
    void realErrorsAreNot() {
        assertThat(DatabaseUnavailable.is(sqlState("23505"))).as("unique violation").isFalse();
        assertThat(DatabaseUnavailable.is(sqlState("40001"))).as("serialization failure").isFalse();
        assertThat(DatabaseUnavailable.is(new IllegalStateException("boom"))).isFalse();
        assertThat(DatabaseUnavailable.is(new VertxException("Timeout", true))).isFalse();
    }
}
