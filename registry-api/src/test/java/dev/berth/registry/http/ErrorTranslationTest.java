package dev.berth.registry.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.storage.StorageException;
import dev.berth.registry.error.OciError;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Outages are 503 UNAVAILABLE (the client may retry), other failures keep their codes. */
class ErrorTranslationTest {

    @Test
    void anUnreachableDatabaseIs503Unavailable() {
        var error = ErrorResponder.translate(new CompletionException(new ConnectException("Connection refused")));
        assertThat(error.error()).isEqualTo(OciError.UNAVAILABLE);
        assertThat(error.status()).isEqualTo(503);
        assertThat(ErrorResponder.translate(ClosedConnectionException.INSTANCE).error()).isEqualTo(OciError.UNAVAILABLE);
    }

    @Test
    void storageThatRefusesIs503AndAFullStoreStays507() {
        assertThat(ErrorResponder.translate(new StorageException("S3 answered 503", null, false, true)).status())
                .isEqualTo(503);
        assertThat(ErrorResponder.translate(new StorageException("full", null, true)).error())
                .isEqualTo(OciError.STORAGE_FULL);
        // a storage failure that is not an outage (an inconsistent upload) stays an internal error
        assertThat(ErrorResponder.translate(new StorageException("upload holds 3 bytes, expected 4", null, false))
                .error()).isEqualTo(OciError.UNKNOWN);
    }

    @Test
    void anythingElseIsAnInternalError() {
        assertThat(ErrorResponder.translate(new IllegalStateException("boom")).status()).isEqualTo(500);
    }
}
